#include "s3/acl.h"

#include "s3/error.h"
#include "s3/operations.h"
#include "s3/xml.h"

namespace herd::s3 {

namespace {

constexpr std::string_view kAllUsers = "http://acs.amazonaws.com/groups/global/AllUsers";

}  // namespace

bool valid_canned_acl(std::string_view acl) {
  return acl == "private" || acl == "public-read" || acl == "public-read-write" || acl == "authenticated-read" ||
         acl == "aws-exec-read" || acl == "bucket-owner-read" || acl == "bucket-owner-full-control";
}

bool acl_is_public_read(std::string_view acl) { return acl == "public-read" || acl == "public-read-write"; }

std::string acl_from_request(const http::Exchange& ex, const std::string& body) {
  if (auto canned = ex.header("x-amz-acl")) {
    if (!valid_canned_acl(*canned)) throw invalid_argument("Unknown canned ACL: " + std::string(*canned));
    return std::string(*canned);
  }
  if (auto grant = ex.header("x-amz-grant-read")) return grant->find(kAllUsers) != std::string_view::npos ? "public-read" : "private";
  if (body.empty()) throw Error(400, "MissingSecurityHeader", "Your request was missing a required header: x-amz-acl");
  pugi::xml_document doc = parse_xml(body);
  auto policy = doc.child("AccessControlPolicy");
  if (!policy) throw malformed_xml();
  auto list = policy.child("AccessControlList");
  if (!list) throw Error(400, "MalformedACLError", "The XML you provided was not well-formed or did not validate against our published schema");
  bool public_read = false;
  for (auto grant : list.children("Grant")) {
    std::string_view uri = grant.child("Grantee").child_value("URI");
    std::string_view permission = grant.child_value("Permission");
    if (uri == kAllUsers && (permission == "READ" || permission == "FULL_CONTROL")) public_read = true;
  }
  return public_read ? "public-read" : "private";
}

std::string acl_policy_xml(const std::string& owner, std::string_view acl) {
  XmlWriter x;
  x.open("AccessControlPolicy", true);
  x.open("Owner").leaf("ID", owner).leaf("DisplayName", owner).close("Owner");
  x.open("AccessControlList");
  x.raw(R"(<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">)");
  x.leaf("ID", owner).leaf("DisplayName", owner).close("Grantee").leaf("Permission", "FULL_CONTROL").close("Grant");
  if (acl_is_public_read(acl)) {
    x.raw(R"(<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group">)");
    x.leaf("URI", kAllUsers).close("Grantee").leaf("Permission", "READ").close("Grant");
  }
  x.close("AccessControlList");
  x.close("AccessControlPolicy");
  return x.str();
}

// ---- operations: GetObjectAcl, PutObjectAcl, GetBucketAcl, PutBucketAcl

Op get_object_acl(Context& ctx) {
  Bucket bucket = ctx.owned_bucket();
  auto object = ctx.pool.meta().get_object(bucket.id, ctx.key);
  if (!object) throw no_such_key();
  http::Response response{200, s3_headers(ctx, true), acl_policy_xml(ctx.tenant().name, object->meta.acl)};
  co_await ctx.ex.respond(response);
}

Op put_object_acl(Context& ctx) {
  Bucket bucket = ctx.owned_bucket();
  std::string body = co_await ctx.read_small_body(64 * 1024);
  std::string acl = acl_from_request(ctx.ex, body);
  auto set_acl = [&] { return ctx.pool.set_object_acl(bucket.id, ctx.key, acl); };
  if (!co_await ctx.blocking.run(set_acl)) throw no_such_key();
  http::Response response{200, s3_headers(ctx, false), ""};
  co_await ctx.ex.respond(response);
}

Op get_bucket_acl(Context& ctx) {
  Bucket bucket = ctx.owned_bucket();
  http::Response response{200, s3_headers(ctx, true), acl_policy_xml(ctx.tenant().name, bucket.acl)};
  co_await ctx.ex.respond(response);
}

Op put_bucket_acl(Context& ctx) {
  Bucket bucket = ctx.owned_bucket();
  std::string body = co_await ctx.read_small_body(64 * 1024);
  std::string acl = acl_from_request(ctx.ex, body);
  auto set_acl = [&] { ctx.pool.set_bucket_acl(bucket.id, acl); };
  co_await ctx.blocking.run(set_acl);
  http::Response response{200, s3_headers(ctx, false), ""};
  co_await ctx.ex.respond(response);
}

}  // namespace herd::s3

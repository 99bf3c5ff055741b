#include "s3/acl.h"

#include <utility>
#include <vector>

#include "s3/error.h"
#include "s3/operations.h"
#include "s3/xml.h"

namespace herd::s3 {

namespace {

constexpr std::string_view kAllUsers = "http://acs.amazonaws.com/groups/global/AllUsers";
constexpr std::string_view kAuthenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

// A grant to one of S3's predefined groups.
struct GroupGrant {
  std::string_view uri;
  std::string_view permission;  // READ, WRITE, FULL_CONTROL, …
};

// The group grants a canned ACL stands for, in the order S3 lists them (after the owner's
// FULL_CONTROL).
std::vector<GroupGrant> group_grants(std::string_view acl) {
  if (acl == "public-read") return {{kAllUsers, "READ"}};
  if (acl == "public-read-write") return {{kAllUsers, "READ"}, {kAllUsers, "WRITE"}};
  if (acl == "authenticated-read") return {{kAuthenticatedUsers, "READ"}};
  return {};
}

// The canned ACL granting what `grants` grant to groups (the owner always keeps FULL_CONTROL;
// grants to other users are not kept).
std::string canned_of(const std::vector<GroupGrant>& grants) {
  auto grants_to = [&](std::string_view uri, std::string_view permission) {
    for (const auto& g : grants)
      if (g.uri == uri && (g.permission == permission || g.permission == "FULL_CONTROL")) return true;
    return false;
  };
  const bool anyone_reads = grants_to(kAllUsers, "READ");
  if (anyone_reads && grants_to(kAllUsers, "WRITE")) return "public-read-write";
  if (anyone_reads) return "public-read";
  if (grants_to(kAuthenticatedUsers, "READ")) return "authenticated-read";
  return "private";
}

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
  // x-amz-grant-<permission>: uri="…", id="…", …
  std::vector<GroupGrant> grants;
  bool explicit_grants = false;
  for (auto [header, permission] : {std::pair{"x-amz-grant-read", "READ"}, std::pair{"x-amz-grant-write", "WRITE"},
                                    std::pair{"x-amz-grant-full-control", "FULL_CONTROL"}}) {
    auto value = ex.header(header);
    if (!value) continue;
    explicit_grants = true;
    for (std::string_view uri : {kAllUsers, kAuthenticatedUsers})
      if (value->find(uri) != std::string_view::npos) grants.push_back({uri, permission});
  }
  if (explicit_grants) return canned_of(grants);
  if (body.empty()) throw Error(400, "MissingSecurityHeader", "Your request was missing a required header: x-amz-acl");
  return acl_from_policy_xml(body);
}

std::string acl_from_policy_xml(const std::string& body) {
  pugi::xml_document doc = parse_xml(body);
  auto policy = doc.child("AccessControlPolicy");
  if (!policy) throw malformed_xml();
  auto list = policy.child("AccessControlList");
  if (!list) throw Error(400, "MalformedACLError", "The XML you provided was not well-formed or did not validate against our published schema");
  std::vector<GroupGrant> grants;
  for (auto grant : list.children("Grant")) {
    std::string_view uri = grant.child("Grantee").child_value("URI");
    for (std::string_view group : {kAllUsers, kAuthenticatedUsers})
      if (uri == group) grants.push_back({group, grant.child_value("Permission")});
  }
  return canned_of(grants);
}

std::string acl_policy_xml(const std::string& owner, std::string_view acl) {
  XmlWriter x;
  x.open("AccessControlPolicy", true);
  x.open("Owner").leaf("ID", owner).leaf("DisplayName", owner).close("Owner");
  x.open("AccessControlList");
  // The owner's FULL_CONTROL first, then the group grants: URI only, no ID or DisplayName.
  x.raw(R"(<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">)");
  x.leaf("ID", owner).leaf("DisplayName", owner).close("Grantee").leaf("Permission", "FULL_CONTROL").close("Grant");
  for (const auto& g : group_grants(acl)) {
    x.raw(R"(<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group">)");
    x.leaf("URI", g.uri).close("Grantee").leaf("Permission", g.permission).close("Grant");
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

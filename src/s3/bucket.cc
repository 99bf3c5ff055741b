// Bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation.
#include "s3/access.h"
#include "s3/acl.h"
#include "s3/cors.h"
#include "s3/error.h"
#include "s3/names.h"
#include "s3/operations.h"
#include "s3/xml.h"
#include "util/clock.h"

namespace herd::s3 {

http::Headers s3_headers(const Context& ctx, bool xml) {
  http::Headers h{{"x-amz-request-id", ctx.request_id}};
  if (xml) h.emplace_back("Content-Type", "application/xml");
  add_cors_headers(ctx.ex, h);
  return h;
}

Op list_buckets(Context& ctx) {
  const Tenant& t = ctx.tenant();
  XmlWriter x;
  x.open("ListAllMyBucketsResult", true);
  x.open("Owner").leaf("ID", t.name).leaf("DisplayName", t.name).close("Owner");
  x.open("Buckets");
  for (const auto& b : ctx.pool.meta().list_buckets(t.id)) {
    x.open("Bucket").leaf("Name", b.name).leaf("CreationDate", format_iso8601_ms(b.created_ms)).close("Bucket");
  }
  x.close("Buckets");
  x.close("ListAllMyBucketsResult");
  http::Response response{200, s3_headers(ctx, true), x.str()};
  co_await ctx.ex.respond(response);
}

Op create_bucket(Context& ctx) {
  const Tenant& t = ctx.tenant();
  if (!valid_bucket_name(ctx.bucket)) throw invalid_bucket_name();
  // The body may carry a CreateBucketConfiguration; any region is accepted, but it must parse.
  std::string body = co_await ctx.read_small_body(64 * 1024);
  if (!body.empty()) parse_xml(body);
  std::optional<std::string> acl;
  if (ctx.ex.header("x-amz-acl")) acl = acl_from_request(ctx.ex, "");
  auto create = [&] { return ctx.pool.meta().create_bucket(t.id, ctx.bucket); };
  CreateBucketResult created = co_await ctx.blocking.run(create);
  switch (created) {
    case CreateBucketResult::kTakenByOther: throw bucket_already_exists();
    case CreateBucketResult::kOwnedByYou:
      // Like S3: idempotent in us-east-1 (the default), an error in any other region.
      if (ctx.options.region != "us-east-1") throw bucket_already_owned_by_you();
      break;
    case CreateBucketResult::kCreated: break;
  }
  if (acl) {
    auto set_acl = [&] { ctx.pool.set_bucket_acl(ctx.owned_bucket().id, *acl); };
    co_await ctx.blocking.run(set_acl);
  }
  auto h = s3_headers(ctx, false);
  h.emplace_back("Location", "/" + ctx.bucket);
  http::Response response{200, std::move(h), ""};
  co_await ctx.ex.respond(response);
}

Op head_bucket(Context& ctx) {
  // S3 answers HeadBucket to whoever may list the bucket.
  Bucket b = ctx.existing_bucket();
  if (!ctx.owns(b) && !listable_by_anyone(b, ctx.options.public_reads)) throw access_denied();
  auto h = s3_headers(ctx, false);
  h.emplace_back("x-amz-bucket-region", ctx.options.region);
  http::Response response{200, std::move(h), ""};
  co_await ctx.ex.respond(response);
}

Op delete_bucket(Context& ctx) {
  Bucket b = ctx.owned_bucket();
  auto remove = [&] { return ctx.pool.delete_bucket(b.id); };
  if (!co_await ctx.blocking.run(remove)) throw bucket_not_empty();
  http::Response response{204, s3_headers(ctx, false), ""};
  co_await ctx.ex.respond(response);
}

Op get_bucket_location(Context& ctx) {
  ctx.owned_bucket();
  XmlWriter x;
  // S3 reports us-east-1 as an empty constraint; clients map it back.
  x.open("LocationConstraint", true)
      .text(ctx.options.region == "us-east-1" ? "" : ctx.options.region)
      .close("LocationConstraint");
  http::Response response{200, s3_headers(ctx, true), x.str()};
  co_await ctx.ex.respond(response);
}

}  // namespace herd::s3

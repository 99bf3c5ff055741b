// PutObject: streams the body into the pool (hashing as it goes), verifies what the client
// promised, then commits the deduplicated object.
#include "s3/body.h"
#include "s3/error.h"
#include "s3/object_meta.h"
#include "s3/operations.h"

namespace herd::s3 {

Op put_object(Context& ctx) {
  Bucket bucket = ctx.owned_bucket();
  ObjectMeta meta = object_meta_from_request(ctx.ex);
  auto upload = ctx.pool.begin_upload(ctx.options.max_object_size, /*may_pack=*/true);
  auto checksum = co_await receive_body(ctx, *upload);
  if (checksum) {
    meta.checksum_algorithm = std::string(checksum_name(checksum->algorithm));
    meta.checksum = checksum->value;
  }
  auto commit = [&] {
    try {
      return ctx.pool.put(*upload, bucket.id, ctx.key, std::move(meta));
    } catch (const NoSuchBucketError&) {
      throw no_such_bucket();
    }
  };
  ObjectRecord stored = co_await ctx.blocking.run(commit);
  auto h = s3_headers(ctx, false);
  h.emplace_back("ETag", "\"" + stored.etag + "\"");
  if (checksum) h.emplace_back(checksum_header(checksum->algorithm), checksum->value);
  http::Response response{200, std::move(h), ""};
  co_await ctx.ex.respond(response);
}

}  // namespace herd::s3

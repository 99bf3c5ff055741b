// DeleteObject: 204 whether or not the key existed.
#include "s3/error.h"
#include "s3/operations.h"

namespace herd::s3 {

Op delete_object(Context& ctx) {
  Bucket b = ctx.owned_bucket();
  ctx.pool.remove(b.id, ctx.key);
  http::Response response{204, s3_headers(ctx, false), ""};
  co_await ctx.ex.respond(response);
}

}  // namespace herd::s3

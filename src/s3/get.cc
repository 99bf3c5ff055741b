// GetObject and HeadObject, with single byte ranges.
#include "s3/checksum.h"
#include "s3/error.h"
#include "s3/object_meta.h"
#include "s3/operations.h"
#include "s3/range.h"

namespace herd::s3 {

Op get_object(Context& ctx) {
  Bucket bucket = ctx.owned_bucket();
  auto object = ctx.pool.meta().get_object(bucket.id, ctx.key);
  if (!object) throw no_such_key();
  auto blob = ctx.pool.blobs().open(object->sha256);
  if (!blob || blob->size() != object->size) throw internal_error();  // invariant broken: never serve wrong bytes

  auto h = s3_headers(ctx, false);
  append_object_headers(*object, h);
  int64_t offset = 0, length = object->size;
  unsigned status = 200;
  if (auto range_header = ctx.ex.header("Range")) {
    auto r = apply_range(*range_header, object->size);
    if (r.kind == RangeResult::Kind::kUnsatisfiable) throw invalid_range(object->size);
    if (r.kind == RangeResult::Kind::kPartial) {
      status = 206;
      offset = r.range.first;
      length = r.range.length;
      h.emplace_back("Content-Range", "bytes " + std::to_string(offset) + "-" + std::to_string(offset + length - 1) +
                                          "/" + std::to_string(object->size));
    }
  }
  http::Response response{status, std::move(h), ""};
  // The whole object's checksum, when asked for (never for a part of it).
  if (status == 200 && !object->meta.checksum.empty() && ctx.ex.header("x-amz-checksum-mode") == "ENABLED") {
    if (auto alg = parse_checksum_algorithm(object->meta.checksum_algorithm))
      h.emplace_back(checksum_header(*alg), object->meta.checksum);
  }
  co_await ctx.ex.respond_blob(response, *blob, offset, length);
}

}  // namespace herd::s3

// GetObject and HeadObject: conditional requests, single byte ranges, partNumber of multipart
// objects, response-* overrides on signed requests. The owner reads anything; others (another
// tenant, or an anonymous request with a query) read objects whose own ACL is public.
#include <array>
#include <charconv>

#include "s3/access.h"
#include "s3/checksum.h"
#include "s3/conditional.h"
#include "s3/error.h"
#include "s3/object_meta.h"
#include "s3/operations.h"
#include "s3/range.h"
#include "web/content_policy.h"

namespace herd::s3 {

namespace {

// response-<param> query overrides → the response header they set.
constexpr std::array<std::pair<const char*, const char*>, 6> kOverrides = {{
    {"response-content-type", "Content-Type"},
    {"response-content-language", "Content-Language"},
    {"response-expires", "Expires"},
    {"response-cache-control", "Cache-Control"},
    {"response-content-disposition", "Content-Disposition"},
    {"response-content-encoding", "Content-Encoding"},
}};

void apply_overrides(const Context& ctx, http::Headers& h) {
  for (const auto& [param, header] : kOverrides) {
    auto v = ctx.query_value(param);
    if (!v) continue;
    if (!ctx.auth.tenant) throw invalid_request("Request specific response headers cannot be used for anonymous GET requests.");
    std::erase_if(h, [&](const auto& kv) { return kv.first == header; });
    h.emplace_back(header, *v);
  }
}

}  // namespace

Op get_object(Context& ctx) {
  auto found = ctx.pool.read_bucket(ctx.bucket);
  if (!found) throw no_such_bucket();
  const Bucket& bucket = *found;
  auto object = ctx.pool.read_object(bucket.id, ctx.key);
  // Another tenant (or an anonymous request with a query) reads what the object's ACL makes public.
  if (!ctx.owns(bucket)) readable_by_anyone(bucket, object, ctx.options.public_reads);
  if (!object) throw no_such_key();

  auto h = s3_headers(ctx, false);
  append_object_headers(*object, h);
  if (!ctx.auth.tenant) web::apply_content_policy(h);  // what the public gets, as on public_read's path
  switch (evaluate_conditions(conditions_of(ctx.ex), object->etag, object->modified_ms / 1000)) {
    case ConditionResult::kPreconditionFailed:
      throw Error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
    case ConditionResult::kNotModified: {
      std::erase_if(h, [](const auto& kv) { return kv.first == "Content-Type"; });
      http::Response not_modified{304, std::move(h), ""};
      co_await ctx.ex.respond(not_modified);
      co_return;
    }
    case ConditionResult::kProceed: break;
  }

  // A cache miss of a remote blob store is fetched on the blocking pool, never on this I/O thread.
  // (Not a ?: around co_await: GCC 12 miscompiles that.)
  std::unique_ptr<BlobReader> blob;
  if (auto now = ctx.pool.open_blob_now(*object)) blob = std::move(*now);
  else blob = co_await ctx.blocking.run([&] { return ctx.pool.open_blob(*object); });
  if (!blob || blob->size() != object->size) throw internal_error();  // invariant broken: never serve wrong bytes

  int64_t offset = 0, length = object->size;
  unsigned status = 200;
  auto part_number = ctx.query_value("partNumber");
  auto range_header = ctx.ex.header("Range");
  if (!if_range_allows(ctx.ex.header("If-Range"), object->etag, object->modified_ms / 1000)) range_header.reset();
  if (part_number) {
    if (range_header) throw invalid_request("Cannot specify both Range header and partNumber query parameter");
    int n = 0;
    auto [p, ec] = std::from_chars(part_number->data(), part_number->data() + part_number->size(), n);
    if (ec != std::errc() || p != part_number->data() + part_number->size() || n < 1 || n > 10000)
      throw invalid_argument("Part number must be an integer between 1 and 10000, inclusive");
    // A single PUT is one part; a multipart object has its part boundaries recorded.
    const auto& parts = object->part_sizes;
    int count = parts.empty() ? 1 : static_cast<int>(parts.size());
    if (n > count) throw invalid_range(object->size);
    if (!parts.empty()) {
      for (int i = 0; i < n - 1; ++i) offset += parts[i];
      length = parts[n - 1];
    }
    if (!parts.empty()) {
      h.emplace_back("x-amz-mp-parts-count", std::to_string(count));
      status = 206;
    }
  } else if (range_header) {
    auto r = apply_range(*range_header, object->size);
    if (r.kind == RangeResult::Kind::kUnsatisfiable) throw invalid_range(object->size);
    if (r.kind == RangeResult::Kind::kPartial) {
      status = 206;
      offset = r.range.first;
      length = r.range.length;
    }
  }
  if (status == 206)
    h.emplace_back("Content-Range", "bytes " + std::to_string(offset) + "-" + std::to_string(offset + length - 1) +
                                        "/" + std::to_string(object->size));
  // The whole object's checksum, when asked for (never for a part of it).
  if (status == 200 && !object->meta.checksum.empty() && ctx.ex.header("x-amz-checksum-mode") == "ENABLED") {
    if (auto alg = parse_checksum_algorithm(object->meta.checksum_algorithm))
      h.emplace_back(checksum_header(*alg), object->meta.checksum);
  }
  apply_overrides(ctx, h);
  http::Response response{status, std::move(h), ""};
  co_await ctx.ex.respond_blob(response, *blob, offset, length);
}

}  // namespace herd::s3

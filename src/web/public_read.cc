#include "web/public_read.h"

#include "federation/content_digest.h"
#include "s3/access.h"
#include "s3/conditional.h"
#include "s3/error.h"
#include "s3/object_meta.h"
#include "s3/range.h"
#include "util/clock.h"
#include "util/hex.h"
#include "web/content_policy.h"

namespace herd::web {

namespace {

// Sends `object`'s bytes with `h` (its representation headers): conditions, then Range.
boost::asio::awaitable<void> send(http::Exchange& ex, Pool& pool, http::BlockingPool& blocking, const ObjectRecord& object,
                                  std::string etag, http::Headers h) {
  h.emplace_back("Access-Control-Allow-Origin", "*");
  h.emplace_back("Repr-Digest", federation::repr_digest(object.sha256));  // RFC 9530: of the whole object
  apply_content_policy(h);
  switch (s3::evaluate_conditions(s3::conditions_of(ex), etag, object.modified_ms / 1000)) {
    case s3::ConditionResult::kPreconditionFailed:
      throw s3::Error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
    case s3::ConditionResult::kNotModified: {
      std::erase_if(h, [](const auto& kv) { return kv.first == "Content-Type" || kv.first == "Content-Disposition" ||
                                                   kv.first == "Content-Security-Policy"; });
      http::Response not_modified{304, std::move(h), ""};
      co_await ex.respond(not_modified);
      co_return;
    }
    case s3::ConditionResult::kProceed: break;
  }
  // A cache miss of a remote blob store is fetched on the blocking pool, never on this I/O thread.
  // (Not a ?: around co_await: GCC 12 miscompiles that.)
  std::unique_ptr<BlobReader> blob;
  if (auto now = pool.open_blob_now(object)) blob = std::move(*now);
  else blob = co_await blocking.run([&] { return pool.open_blob(object); });
  if (!blob || blob->size() != object.size) throw s3::internal_error();
  int64_t offset = 0, length = object.size;
  unsigned status = 200;
  auto range = ex.header("Range");
  if (!s3::if_range_allows(ex.header("If-Range"), etag, object.modified_ms / 1000)) range.reset();
  if (range) {
    auto r = s3::apply_range(*range, object.size);
    if (r.kind == s3::RangeResult::Kind::kUnsatisfiable) throw s3::invalid_range(object.size);
    if (r.kind == s3::RangeResult::Kind::kPartial) {
      status = 206;
      offset = r.range.first;
      length = r.range.length;
      h.emplace_back("Content-Range", "bytes " + std::to_string(offset) + "-" + std::to_string(offset + length - 1) +
                                          "/" + std::to_string(object.size));
    }
  }
  http::Response response{status, std::move(h), ""};
  co_await ex.respond_blob(response, *blob, offset, length);
}

}  // namespace

std::string blob_path(const ObjectRecord& object) {
  std::string path = "/blobs/" + to_hex(object.sha256);
  auto slash = object.key.rfind('/');
  auto dot = object.key.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return path;
  std::string ext = object.key.substr(dot);
  if (ext.size() < 2 || ext.size() > 9) return path;
  for (size_t i = 1; i < ext.size(); ++i)
    if (!std::isalnum(static_cast<unsigned char>(ext[i]))) return path;
  return path + ext;
}

boost::asio::awaitable<void> serve_public_object(http::Exchange& ex, Pool& pool, http::BlockingPool& blocking,
                                                 const PublicOptions& options, const std::string& bucket_name,
                                                 const std::string& key) {
  auto bucket = pool.cached_bucket(bucket_name);
  if (!bucket) throw s3::no_such_bucket();  // bucket names are global and discoverable anyway
  if (key.empty()) throw s3::access_denied();  // no listings here (the S3 endpoint has them)
  auto found = pool.cached_object(bucket->id, key);
  const ObjectRecord* object = &s3::readable_by_anyone(*bucket, found, options);

  if (options.object_urls == "redirect") {
    http::Headers h{{"Location", options.redirect_base + blob_path(*object)},
                    {"Cache-Control", "public, max-age=60"},
                    {"Access-Control-Allow-Origin", "*"}};
    http::Response redirect{options.redirect_status, std::move(h), ""};
    co_await ex.respond(redirect);
    co_return;
  }
  http::Headers h;
  s3::append_object_headers(*object, h);
  co_await send(ex, pool, blocking, *object, object->etag, std::move(h));
}

boost::asio::awaitable<void> serve_blob(http::Exchange& ex, Pool& pool, http::BlockingPool& blocking,
                                        const std::string& name) {
  std::string hex = name.substr(0, name.find('.'));
  auto sha = is_lower_hex(hex, 64) ? from_hex(hex) : std::nullopt;
  if (!sha) throw s3::no_such_key();
  co_await serve_blob_by_hash(ex, pool, blocking, *sha);
}

boost::asio::awaitable<void> serve_hashlink(http::Exchange& ex, Pool& pool, http::BlockingPool& blocking,
                                            const std::string& hashlink) {
  auto parsed = federation::parse_hashlink(hashlink);
  if (parsed.status == federation::HashlinkParse::Status::kMalformed)
    throw s3::invalid_argument("Malformed hashlink: expected hl:<base58btc multihash>");
  if (parsed.status == federation::HashlinkParse::Status::kUnsupported)
    throw s3::invalid_argument("Unsupported hashlink: only sha2-256 multihashes are served");
  co_await serve_blob_by_hash(ex, pool, blocking, parsed.sha256);
}

boost::asio::awaitable<void> serve_blob_by_hash(http::Exchange& ex, Pool& pool, http::BlockingPool& blocking,
                                                const std::string& sha256) {
  const std::string hex = to_hex(sha256);
  auto object = pool.meta().public_object_for_blob(sha256);
  if (!object && pool.meta().is_taken_down(sha256))
    throw s3::Error(451, "UnavailableForLegalReasons", "This content was taken down by the pool's operator");
  if (!object) throw s3::no_such_key();
  // Content-addressed: the bytes behind this URL can never change.
  http::Headers h{{"Content-Type", object->meta.content_type.empty() ? "binary/octet-stream" : object->meta.content_type},
                  {"Cache-Control", "public, max-age=31536000, immutable"},
                  {"ETag", "\"" + hex + "\""},
                  {"Last-Modified", format_http_date(object->modified_ms / 1000)},
                  {"Accept-Ranges", "bytes"}};
  co_await send(ex, pool, blocking, *object, hex, std::move(h));
}

}  // namespace herd::web

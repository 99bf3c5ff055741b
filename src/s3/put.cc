// PutObject: streams the body into the pool (hashing as it goes), verifies what the client
// promised (signed SHA-256, Content-MD5, length), then commits the deduplicated object.
#include <memory>

#include "s3/error.h"
#include "s3/names.h"
#include "s3/object_meta.h"
#include "s3/operations.h"
#include "util/base64.h"
#include "util/hex.h"

namespace herd::s3 {

namespace {

constexpr size_t kBodyBuffer = 256 * 1024;

// The decoded Content-MD5 header, if sent; InvalidDigest when malformed.
std::optional<std::string> content_md5(const http::Exchange& ex) {
  auto h = ex.header("Content-MD5");
  if (!h) return std::nullopt;
  auto raw = base64_decode(*h);
  if (!raw || raw->size() != 16) throw invalid_digest();
  return raw;
}

}  // namespace

Op put_object(Context& ctx) {
  if (ctx.ex.header("x-amz-copy-source")) throw not_implemented("CopyObject");
  if (auto enc = ctx.ex.header("Content-Encoding"); enc && enc->find("aws-chunked") != std::string_view::npos)
    throw not_implemented("aws-chunked payloads");
  Bucket bucket = ctx.owned_bucket();
  auto length = ctx.ex.content_length();
  if (!length) throw missing_content_length();
  if (static_cast<int64_t>(*length) > ctx.options.max_object_size) throw entity_too_large();
  ObjectMeta meta = object_meta_from_request(ctx.ex);
  auto expected_md5 = content_md5(ctx.ex);

  auto upload = ctx.pool.begin_upload(ctx.options.max_object_size);
  auto buf = std::make_unique<char[]>(kBodyBuffer);
  while (true) {
    size_t n = co_await ctx.ex.read_body(buf.get(), kBodyBuffer);
    if (n == 0) break;
    upload->append(buf.get(), n);
  }
  upload->finish();
  if (ctx.auth.payload == PayloadMode::kSignedHex && to_hex(upload->sha256()) != ctx.auth.payload_sha256_hex)
    throw content_sha256_mismatch();
  if (expected_md5 && *expected_md5 != upload->md5()) throw bad_digest();

  ObjectRecord stored;
  try {
    stored = ctx.pool.put(*upload, bucket.id, ctx.key, std::move(meta));
  } catch (const NoSuchBucketError&) {
    throw no_such_bucket();
  }
  auto h = s3_headers(ctx, false);
  h.emplace_back("ETag", "\"" + stored.etag + "\"");
  http::Response response{200, std::move(h), ""};
  co_await ctx.ex.respond(response);
}

}  // namespace herd::s3

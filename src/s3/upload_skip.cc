#include "s3/upload_skip.h"

#include <boost/beast/core/string.hpp>

#include <algorithm>

#include "util/base64.h"
#include "util/clock.h"
#include "util/hex.h"

namespace herd::s3 {

namespace {

bool signed_header(const Context& ctx, std::string_view name) {
  return std::find(ctx.auth.signed_headers.begin(), ctx.auth.signed_headers.end(), name) != ctx.auth.signed_headers.end();
}

// The SHA-256 the client vouches for under its signature, and whether it asked for a SHA256
// checksum (x-amz-checksum-sha256, or x-amz-sdk-checksum-algorithm: SHA256) to be stored; nullopt
// when it names none, names two that differ, or asks for another checksum (which only the body
// could answer).
struct Claim {
  std::string sha256;  // raw
  bool wants_checksum = false;
};
std::optional<Claim> claimed_sha256(const Context& ctx) {
  std::optional<std::string> from_payload, from_checksum;
  if (ctx.auth.payload == PayloadMode::kSignedHex) from_payload = from_hex(ctx.auth.payload_sha256_hex);
  for (const auto& [name, value] : ctx.ex.headers()) {
    if (!boost::beast::iequals(name.substr(0, std::min<size_t>(name.size(), 15)), "x-amz-checksum-")) continue;
    if (boost::beast::iequals(name, "x-amz-checksum-sha256")) {
      if (!signed_header(ctx, "x-amz-checksum-sha256")) return std::nullopt;
      from_checksum = base64_decode(value);
      if (!from_checksum || from_checksum->size() != 32) return std::nullopt;
    } else if (!boost::beast::iequals(name, "x-amz-checksum-type")) {
      return std::nullopt;  // another algorithm (or a mode the body must settle)
    }
  }
  if (ctx.ex.header("x-amz-trailer")) return std::nullopt;
  auto sdk = ctx.ex.header("x-amz-sdk-checksum-algorithm");
  if (sdk && !boost::beast::iequals(*sdk, "SHA256")) return std::nullopt;
  if (from_payload && from_checksum && *from_payload != *from_checksum) return std::nullopt;
  const bool wants_checksum = from_checksum.has_value() || sdk.has_value();
  if (from_payload) return Claim{*from_payload, wants_checksum};
  if (from_checksum) return Claim{*from_checksum, wants_checksum};
  return std::nullopt;
}

}  // namespace

boost::asio::awaitable<std::optional<KnownBody>> known_body(Context& ctx) {
  auto expect = ctx.ex.header("Expect");
  if (!expect || !boost::beast::iequals(*expect, "100-continue")) co_return std::nullopt;
  // An empty body is never skipped: nothing to save, and the connection stays open after a body
  // that is complete already, where botocore would misread the next answer without a 100 first.
  // (A skipped non-empty body closes the connection: the server never read it.)
  auto length = ctx.ex.content_length();
  if (!length || *length == 0) co_return std::nullopt;
  auto claim = claimed_sha256(ctx);
  if (!claim) co_return std::nullopt;
  std::optional<std::string> content_md5;
  if (auto h = ctx.ex.header("Content-MD5")) {
    content_md5 = base64_decode(*h);
    if (!content_md5) co_return std::nullopt;  // the body path answers InvalidDigest
  }
  auto lookup = [&]() -> std::optional<KnownBody> {
    auto blob = ctx.pool.blob_usable_by(ctx.tenant().id, claim->sha256);
    if (!blob || static_cast<uint64_t>(blob->size) != *length) return std::nullopt;
    if (content_md5 && *content_md5 != blob->md5) return std::nullopt;
    return KnownBody{*blob, claim->wants_checksum};
  };
  co_return co_await ctx.blocking.run(lookup);
}

boost::asio::awaitable<std::optional<SkippedUpload>> skip_upload_if_known(Context& ctx, const Bucket& bucket,
                                                                          const ObjectMeta& meta) {
  auto known = co_await known_body(ctx);
  if (!known) co_return std::nullopt;
  auto commit = [&]() -> std::optional<SkippedUpload> {
    SkippedUpload skipped;
    ObjectRecord& o = skipped.object;
    o.bucket_id = bucket.id;
    o.key = ctx.key;
    o.sha256 = known->blob.sha256;
    o.size = known->blob.size;
    o.etag = to_hex(known->blob.md5);
    o.modified_ms = now_ms();
    o.meta = meta;
    if (known->wants_sha256_checksum) {
      o.meta.checksum_algorithm = "SHA256";
      o.meta.checksum = base64_encode(o.sha256);
      skipped.checksum_sha256 = o.meta.checksum;
    }
    // The bytes may have lost their last reference since: then the body is needed after all.
    if (!ctx.pool.commit_skipped_upload(o)) return std::nullopt;
    return skipped;
  };
  co_return co_await ctx.blocking.run(commit);
}

}  // namespace herd::s3

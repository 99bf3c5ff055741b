#include "s3/auth.h"

#include <cstdlib>

#include "s3/error.h"
#include "util/clock.h"
#include "util/digest.h"
#include "util/hex.h"

namespace herd::s3 {

AuthResult authenticate(const http::Exchange& ex, const std::string& decoded_path, const sigv4::Pairs& query,
                        MetaStore& meta, const AuthOptions& options) {
  AuthResult result;
  auto header = ex.header("Authorization");
  for (const auto& [k, v] : query)
    if (k == "X-Amz-Algorithm" || k == "X-Amz-Signature") throw not_implemented("presigned URLs (query authentication)");
  if (!header) return result;  // anonymous
  if (header->starts_with("AWS ")) throw invalid_request("Signature Version 2 is not supported; use AWS4-HMAC-SHA256.");
  auto auth = sigv4::parse_authorization(*header);
  if (!auth) throw authorization_malformed("expected AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…");

  auto amz_date = ex.header("x-amz-date");
  std::optional<int64_t> when;
  std::string amz_date_text;
  if (amz_date) {
    when = parse_amz_date(*amz_date);
    amz_date_text = std::string(*amz_date);
  } else if (auto date = ex.header("Date")) {
    when = parse_http_date(*date);
    if (when) amz_date_text = format_amz_date(*when);
  }
  if (!when) throw access_denied();  // S3: "AWS authentication requires a valid Date or x-amz-date header"
  if (amz_date_text.substr(0, 8) != auth->credential.date)
    throw authorization_malformed("the credential date does not match the request date");
  if (std::llabs(*when - now_ms() / 1000) > options.max_skew.count()) throw request_time_too_skewed();

  auto tenant = meta.tenant_by_access_key(auth->credential.access_key);
  if (!tenant) throw invalid_access_key_id();

  auto content_sha = ex.header("x-amz-content-sha256");
  if (!content_sha) throw invalid_request("Missing required header for this request: x-amz-content-sha256");
  std::string payload_hash(*content_sha);
  if (payload_hash == "UNSIGNED-PAYLOAD") {
    result.payload = PayloadMode::kUnsigned;
  } else if (payload_hash == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" ||
             payload_hash == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") {
    result.payload = PayloadMode::kStreamingSigned;
  } else if (payload_hash == "STREAMING-UNSIGNED-PAYLOAD-TRAILER") {
    result.payload = PayloadMode::kStreamingUnsigned;
  } else if (payload_hash.starts_with("STREAMING-")) {
    throw not_implemented("payload mode " + payload_hash);
  } else if (is_lower_hex(payload_hash, 64)) {
    result.payload = PayloadMode::kSignedHex;
    result.payload_sha256_hex = payload_hash;
  } else {
    throw invalid_argument(
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-…, or a valid sha256 value.");
  }

  sigv4::CanonicalRequest cr{std::string(ex.method()), decoded_path, query, ex.headers(), auth->signed_headers,
                             payload_hash};
  std::string canonical = sigv4::canonical_request_text(cr);
  std::string sts = sigv4::string_to_sign(amz_date_text, auth->credential.scope(), canonical);
  std::string key = sigv4::signing_key(tenant->secret_key, auth->credential);
  std::string expected = sigv4::signature(key, sts);
  if (!constant_time_equal(expected, auth->signature)) throw signature_does_not_match();
  if (result.payload == PayloadMode::kStreamingSigned)
    result.chunk_signing = ChunkSigning{std::move(key), amz_date_text, auth->credential.scope(), expected};
  result.tenant = std::move(tenant);
  return result;
}

}  // namespace herd::s3

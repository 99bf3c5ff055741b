#include "s3/auth.h"

#include <charconv>
#include <cstdlib>

#include "s3/error.h"
#include "util/clock.h"
#include "util/digest.h"
#include "util/hex.h"

namespace herd::s3 {

namespace {

constexpr int64_t kMaxPresignSeconds = 7 * 24 * 3600;  // S3's limit on X-Amz-Expires

// What either form of SigV4 (header or query) provides for verification.
struct SignedRequest {
  sigv4::Credential credential;
  std::vector<std::string> signed_headers;
  std::string signature;
  std::string amz_date;  // basic ISO 8601
  int64_t when = 0;      // amz_date as epoch seconds
  std::string payload_hash;
  sigv4::Pairs canonical_query;  // query pairs that are signed
};

std::optional<std::string> find(const sigv4::Pairs& query, std::string_view name) {
  for (const auto& [k, v] : query)
    if (k == name) return v;
  return std::nullopt;
}

Error query_auth_error(const std::string& why) { return {400, "AuthorizationQueryParametersError", why}; }

SignedRequest from_header(const http::Exchange& ex, std::string_view header, const sigv4::Pairs& query,
                          const AuthOptions& options, const std::string* body_sha256_hex) {
  if (header.starts_with("AWS ")) throw invalid_request("Signature Version 2 is not supported; use AWS4-HMAC-SHA256.");
  auto auth = sigv4::parse_authorization(header);
  if (!auth) throw authorization_malformed("expected AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…");
  SignedRequest r{std::move(auth->credential), std::move(auth->signed_headers), std::move(auth->signature), {}, 0, {},
                  query};
  std::optional<int64_t> when;
  if (auto amz_date = ex.header("x-amz-date")) {
    when = parse_amz_date(*amz_date);
    r.amz_date = std::string(*amz_date);
  } else if (auto date = ex.header("Date")) {
    when = parse_http_date(*date);
    if (when) r.amz_date = format_amz_date(*when);
  }
  if (!when) throw access_denied();  // S3: AWS authentication requires a valid Date or x-amz-date header
  r.when = *when;
  if (std::llabs(r.when - now_ms() / 1000) > options.max_skew.count()) throw request_time_too_skewed();
  auto content_sha = ex.header("x-amz-content-sha256");
  if (content_sha) r.payload_hash = std::string(*content_sha);
  else if (body_sha256_hex) r.payload_hash = *body_sha256_hex;  // plain SigV4 signs the body's hash
  else throw invalid_request("Missing required header for this request: x-amz-content-sha256");
  return r;
}

SignedRequest from_query(const sigv4::Pairs& query, const AuthOptions& options) {
  auto get = [&](std::string_view name) {
    auto v = find(query, name);
    if (!v) throw query_auth_error("Query-string authentication requires " + std::string(name));
    return *v;
  };
  if (get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256")
    throw query_auth_error("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
  auto credential = sigv4::parse_credential(get("X-Amz-Credential"));
  if (!credential) throw query_auth_error("Invalid X-Amz-Credential");
  SignedRequest r;
  r.credential = std::move(*credential);
  std::string headers = get("X-Amz-SignedHeaders");
  for (size_t start = 0; start <= headers.size();) {
    size_t end = headers.find(';', start);
    if (end == std::string::npos) end = headers.size();
    if (end > start) r.signed_headers.push_back(headers.substr(start, end - start));
    start = end + 1;
  }
  r.signature = get("X-Amz-Signature");
  if (!is_lower_hex(r.signature, 64)) throw query_auth_error("Invalid X-Amz-Signature");
  r.amz_date = get("X-Amz-Date");
  auto when = parse_amz_date(r.amz_date);
  if (!when) throw query_auth_error("Invalid X-Amz-Date");
  r.when = *when;
  std::string expires_s = get("X-Amz-Expires");
  int64_t expires = 0;
  auto [p, ec] = std::from_chars(expires_s.data(), expires_s.data() + expires_s.size(), expires);
  if (p != expires_s.data() + expires_s.size() || (ec != std::errc() && ec != std::errc::result_out_of_range))
    throw query_auth_error("X-Amz-Expires should be a number");
  // As S3: a lifetime outside 1 s .. 1 week is refused like an expired URL (0 is expired at once).
  if (ec == std::errc::result_out_of_range || expires < 1 || expires > kMaxPresignSeconds)
    throw Error(403, "AccessDenied", "X-Amz-Expires must be between 1 and 604800 seconds");
  const int64_t now = now_ms() / 1000;
  if (r.when - now > options.max_skew.count()) throw Error(403, "AccessDenied", "Request is not valid yet");
  if (now > r.when + expires) throw Error(403, "AccessDenied", "Request has expired");
  r.payload_hash = find(query, "X-Amz-Content-Sha256").value_or("UNSIGNED-PAYLOAD");
  for (const auto& kv : query)
    if (kv.first != "X-Amz-Signature") r.canonical_query.push_back(kv);
  return r;
}

void set_payload_mode(AuthResult& result, const std::string& payload_hash) {
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
    throw invalid_argument("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-…, or a valid sha256 value.");
  }
}

}  // namespace

AuthResult authenticate(const http::Exchange& ex, const std::string& decoded_path, const sigv4::Pairs& query,
                        TenantCache& tenants, const AuthOptions& options, const std::string* body_sha256_hex) {
  AuthResult result;
  auto header = ex.header("Authorization");
  const bool presigned = find(query, "X-Amz-Signature") || find(query, "X-Amz-Algorithm");
  if (!header && find(query, "AWSAccessKeyId") && find(query, "Signature"))
    throw invalid_request("Signature Version 2 is not supported; presign with AWS4-HMAC-SHA256 (s3v4).");
  if (!header && !presigned) return result;  // anonymous
  if (header && presigned) throw invalid_argument("Only one auth mechanism allowed");
  SignedRequest r = header ? from_header(ex, *header, query, options, body_sha256_hex) : from_query(query, options);
  if (r.amz_date.substr(0, 8) != r.credential.date)
    throw authorization_malformed("the credential date does not match the request date");

  auto tenant = tenants.by_access_key(r.credential.access_key);
  if (!tenant) throw invalid_access_key_id();
  set_payload_mode(result, r.payload_hash);

  sigv4::CanonicalRequest cr{std::string(ex.method()), decoded_path, r.canonical_query, ex.headers(),
                             r.signed_headers, r.payload_hash};
  std::string sts = sigv4::string_to_sign(r.amz_date, r.credential.scope(), sigv4::canonical_request_text(cr));
  std::string key = sigv4::signing_key(tenant->secret_key, r.credential);
  std::string expected = sigv4::signature(key, sts);
  if (!constant_time_equal(expected, r.signature)) throw signature_does_not_match();
  if (result.payload == PayloadMode::kStreamingSigned)
    result.chunk_signing = ChunkSigning{std::move(key), r.amz_date, r.credential.scope(), expected};
  result.tenant = std::move(tenant);
  result.presigned = presigned;
  result.signed_headers = r.signed_headers;
  return result;
}

}  // namespace herd::s3

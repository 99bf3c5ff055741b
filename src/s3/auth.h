#pragma once
// Authenticates an S3 request signed with SigV4 in the Authorization header.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "http/exchange.h"
#include "pool/tenant_cache.h"
#include "s3/aws_chunked.h"
#include "s3/sigv4.h"

namespace herd::s3 {

// How the body's integrity is established.
enum class PayloadMode {
  kAnonymous,  // unsigned request: no tenant, no body guarantee
  kUnsigned,   // UNSIGNED-PAYLOAD
  kSignedHex,  // the hex SHA-256 in x-amz-content-sha256, verified against the body
  kStreamingSigned,    // aws-chunked with chunk signatures (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER])
  kStreamingUnsigned,  // aws-chunked without signatures (STREAMING-UNSIGNED-PAYLOAD-TRAILER)
};

struct AuthResult {
  std::optional<Tenant> tenant;  // nullopt for anonymous requests
  PayloadMode payload = PayloadMode::kAnonymous;
  std::string payload_sha256_hex;  // for kSignedHex
  std::optional<ChunkSigning> chunk_signing;  // for kStreamingSigned
  bool presigned = false;                     // authenticated by query parameters (a presigned URL)
  std::vector<std::string> signed_headers;    // lower-case names the signature covers
};

struct AuthOptions {
  std::chrono::seconds max_skew{15 * 60};
  bool operator==(const AuthOptions&) const = default;
};

// Verifies the request's SigV4 signature (Authorization header, or X-Amz-* query parameters of a
// presigned URL, whose expiry is enforced) against the tenant's secret. `decoded_path` is the request
// path after percent-decoding; `query` the decoded query pairs. Throws s3::Error
// (InvalidAccessKeyId, SignatureDoesNotMatch, RequestTimeTooSkewed, AuthorizationHeaderMalformed,
// NotImplemented for SigV4a streaming). `body_sha256_hex`, for a body read before authenticating:
// the payload hash of a request without x-amz-content-sha256 (plain SigV4, as AWS services other
// than S3, and curl --aws-sigv4, sign); S3 requests must send the header.
AuthResult authenticate(const http::Exchange& exchange, const std::string& decoded_path,
                        const sigv4::Pairs& query, TenantCache& tenants, const AuthOptions& options,
                        const std::string* body_sha256_hex = nullptr);

}  // namespace herd::s3

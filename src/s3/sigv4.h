#pragma once
// AWS Signature Version 4: parsing the Authorization header and computing signatures.
// Pure functions with no I/O; the request-level policy (time skew, payload modes) is in auth.h.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herd::sigv4 {

using Pairs = std::vector<std::pair<std::string, std::string>>;

// The credential scope "AKID/20130524/us-east-1/s3/aws4_request", split.
struct Credential {
  std::string access_key;
  std::string date;     // YYYYMMDD
  std::string region;   // whatever the client signed with; never checked against ours
  std::string service;  // "s3"
  // "20130524/us-east-1/s3/aws4_request"
  std::string scope() const;
};

// "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=a;b, Signature=hex", parsed.
struct Authorization {
  Credential credential;
  std::vector<std::string> signed_headers;  // lower-case, as listed by the client
  std::string signature;                    // lower-case hex
};

// Parses a credential scope string; nullopt unless it has five '/'-separated parts ending in aws4_request.
std::optional<Credential> parse_credential(std::string_view s);
// Parses an Authorization header value; nullopt when it is not a well-formed SigV4 header.
std::optional<Authorization> parse_authorization(std::string_view value);

// Parses a raw query string ("a=1&b=%2F") into decoded pairs, in order; nullopt on a bad escape.
std::optional<Pairs> parse_query(std::string_view raw);

// Everything that goes into the canonical request.
struct CanonicalRequest {
  std::string method;
  std::string path;             // decoded path, e.g. "/bucket/my key"; encoded here per S3 rules
  Pairs query;                  // decoded name/value pairs (X-Amz-Signature excluded by the caller)
  Pairs headers;                // request headers; names in any case, values raw
  std::vector<std::string> signed_headers;  // lower-case names to include
  std::string payload_hash;     // hex SHA-256, "UNSIGNED-PAYLOAD", or a STREAMING-* marker
};

// The canonical query string: each name and value URI-encoded, sorted by name then value.
std::string canonical_query(const Pairs& query);
// Canonical header block "name:trimmed value\n"… for the signed headers, plus the list "a;b".
// Repeated headers are joined with ','; sequential spaces in values collapse to one.
std::string canonical_headers(const Pairs& headers, const std::vector<std::string>& signed_headers);
// The full canonical request text.
std::string canonical_request_text(const CanonicalRequest& request);
// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256 of canonical request>"
std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request);
// kSigning = HMAC chain over "AWS4"+secret, date, region, service, "aws4_request".
std::string signing_key(std::string_view secret, const Credential& credential);
// Hex HMAC-SHA256(signing_key, string_to_sign).
std::string signature(std::string_view signing_key, std::string_view string_to_sign);

}  // namespace herd::sigv4

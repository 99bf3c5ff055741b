#pragma once
// Client-side SigV4 (Authorization header) for `herd bench` and the S3 blob backend, built on the
// same canonical-request code the server verifies with (s3/sigv4.h). Pure functions; thread-safe.
#include <string>

#include "s3/sigv4.h"

namespace herd::s3client {

struct Credentials {
  std::string access_key;
  std::string secret_key;
  std::string region = "us-east-1";
};

// The headers a signed request must carry.
struct SignedHeaders {
  std::string authorization;
  std::string amz_date;
  std::string content_sha256;
};

// Signs a request. `path` is decoded ("/bucket/my key"); `query` decoded pairs; `host` as sent
// in the Host header; `payload_sha256` a hex digest or "UNSIGNED-PAYLOAD"; `extra_headers`
// (lower-case names) are signed too. `amz_date` is "YYYYMMDDTHHMMSSZ".
SignedHeaders sign_request(const std::string& method, const std::string& host, const std::string& path,
                           const sigv4::Pairs& query, const sigv4::Pairs& extra_headers,
                           const std::string& payload_sha256, const Credentials& credentials,
                           const std::string& amz_date);

}  // namespace herd::s3client

#pragma once
// S3 errors as values that travel by exception from anywhere in a request to the router,
// which renders them as the S3 XML error body.
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herd::s3 {

class Error : public std::runtime_error {
 public:
  Error(unsigned status, std::string code, std::string message)
      : std::runtime_error(message), status(status), code(std::move(code)) {}
  unsigned status;
  std::string code;
  std::vector<std::pair<std::string, std::string>> headers;  // extra response headers
};

// The S3 errors Herd raises, with S3's status codes and wording.
Error access_denied();
Error invalid_access_key_id();
Error signature_does_not_match();
Error request_time_too_skewed();
Error authorization_malformed(const std::string& why);
Error no_such_bucket();
Error no_such_key();
Error bucket_not_empty();
Error bucket_already_exists();
Error bucket_already_owned_by_you();
Error invalid_bucket_name();
Error key_too_long();
Error entity_too_large();
Error incomplete_body();
Error content_sha256_mismatch();
Error bad_digest();
// BadDigest for a flexible checksum (x-amz-checksum-*) that does not match the body.
Error bad_checksum(std::string_view algorithm);
Error invalid_digest();
Error missing_content_length();
Error method_not_allowed();
Error not_implemented(const std::string& what);
Error invalid_argument(const std::string& why);
Error invalid_request(const std::string& why);
Error malformed_xml();
Error metadata_too_large();
// 416 with Content-Range: bytes */size
Error invalid_range(int64_t size);
Error internal_error();

// <Error><Code>…</Code><Message>…</Message><Resource>…</Resource><RequestId>…</RequestId></Error>
std::string error_xml(const std::string& code, const std::string& message, const std::string& resource,
                      const std::string& request_id);

}  // namespace herd::s3

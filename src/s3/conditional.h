#pragma once
// Conditional requests on an object (If-Match, If-None-Match, If-Modified-Since,
// If-Unmodified-Since), evaluated as S3 does.
#include <optional>
#include <string>
#include <string_view>

#include "http/exchange.h"

namespace herd::s3 {

// The request's conditional headers (raw values).
struct Conditions {
  std::optional<std::string> if_match;
  std::optional<std::string> if_none_match;
  std::optional<std::string> if_modified_since;
  std::optional<std::string> if_unmodified_since;
};

// The conditional headers of a request.
Conditions conditions_of(const http::Exchange& ex);
// The x-amz-copy-source-if-match / -if-none-match / -if-modified-since / -if-unmodified-since
// headers of CopyObject and UploadPartCopy, which S3 evaluates on the source like the plain ones
// (If-Match over If-Unmodified-Since, If-None-Match over If-Modified-Since); any failure is a 412.
Conditions copy_source_conditions_of(const http::Exchange& ex);

enum class ConditionResult { kProceed, kNotModified /*304*/, kPreconditionFailed /*412*/ };

// Evaluates `c` for an object with `etag` (unquoted) modified at `modified_seconds`.
// If-Match takes precedence over If-Unmodified-Since, If-None-Match over If-Modified-Since;
// unparsable dates are ignored.
ConditionResult evaluate_conditions(const Conditions& c, std::string_view etag, int64_t modified_seconds);

// Whether a Range header may apply given If-Range (RFC 9110 §13.1.5): absent, a matching strong
// entity tag, or exactly the Last-Modified date. Otherwise the whole object is sent.
bool if_range_allows(const std::optional<std::string_view>& if_range, std::string_view etag, int64_t modified_seconds);

}  // namespace herd::s3

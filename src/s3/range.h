#pragma once
// HTTP Range header parsing for a single byte range (RFC 9110 §14), as S3 supports.
#include <cstdint>
#include <optional>
#include <string_view>

namespace herd::s3 {

struct ByteRange {
  int64_t first = 0;   // inclusive
  int64_t length = 0;  // bytes
};

// The outcome of applying a Range header to an object of a known size.
struct RangeResult {
  enum class Kind { kWhole, kPartial, kUnsatisfiable } kind = Kind::kWhole;
  ByteRange range;  // valid for kPartial
};

// Parses "bytes=a-b", "bytes=a-", "bytes=-n" against `size`. Syntactically invalid or
// multi-range headers are ignored (whole object), as S3 does; ranges that start past the end
// are unsatisfiable (416).
RangeResult apply_range(std::string_view header, int64_t size);

}  // namespace herd::s3

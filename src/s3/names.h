#pragma once
// S3's rules for bucket names and object keys.
#include <string_view>

namespace herd::s3 {

constexpr size_t kMaxKeyBytes = 1024;

// 3–63 characters of a-z 0-9 . -, starting and ending with a letter or digit, no "..",
// not "blobs" (reserved for blob URLs), not shaped like an IPv4 address, no reserved prefix (xn--, sthree-, amzn-s3-demo-) or suffix
// (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3).
bool valid_bucket_name(std::string_view name);

// Well-formed UTF-8 without overlong forms, surrogates or NUL.
bool valid_utf8(std::string_view s);

}  // namespace herd::s3

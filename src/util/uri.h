#pragma once
// Percent-encoding as S3 and SigV4 define it.
#include <optional>
#include <string>
#include <string_view>

namespace herd {

// Encodes every byte except the unreserved set A-Z a-z 0-9 - . _ ~ as %XX (upper-case hex).
// With keep_slash, '/' is left as is (SigV4 canonical URI of an S3 key).
std::string uri_encode(std::string_view s, bool keep_slash = false);

// Decodes %XX escapes (and '+' as space when plus_is_space). nullopt on a malformed escape.
std::optional<std::string> uri_decode(std::string_view s, bool plus_is_space = false);

}  // namespace herd

#pragma once
// Lower-case hexadecimal encoding and decoding of byte strings.
#include <optional>
#include <string>
#include <string_view>

namespace herd {

// Encodes bytes as lower-case hex (two characters per byte).
std::string to_hex(std::string_view bytes);

// Decodes hex (either case); nullopt when the length is odd or a character is not hex.
std::optional<std::string> from_hex(std::string_view hex);

// True when `s` is exactly `len` lower-case hex characters.
bool is_lower_hex(std::string_view s, size_t len);

}  // namespace herd

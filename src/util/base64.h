#pragma once
// Standard base64 (RFC 4648 §4, with padding).
#include <optional>
#include <string>
#include <string_view>

namespace herd {

std::string base64_encode(std::string_view bytes);
// nullopt when the input is not canonical padded base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace herd

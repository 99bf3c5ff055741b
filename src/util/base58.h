#pragma once
// Base58 with the Bitcoin alphabet ("base58btc", multibase prefix 'z'). Pure functions.
#include <optional>
#include <string>
#include <string_view>

namespace herd {

std::string base58_encode(std::string_view bytes);
// nullopt when `text` holds a character outside the alphabet.
std::optional<std::string> base58_decode(std::string_view text);

}  // namespace herd

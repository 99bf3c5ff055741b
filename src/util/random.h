#pragma once
// Cryptographically secure random strings (OpenSSL RAND_bytes).
#include <string>
#include <string_view>

namespace herd {

// `len` characters drawn uniformly from `alphabet` (at most 256 characters long).
std::string random_string(size_t len, std::string_view alphabet);

}  // namespace herd

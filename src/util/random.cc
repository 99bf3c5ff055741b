#include "util/random.h"

#include <openssl/rand.h>

#include <stdexcept>

namespace herd {

std::string random_string(size_t len, std::string_view alphabet) {
  std::string out;
  out.reserve(len);
  // Rejection sampling keeps the distribution uniform for any alphabet size.
  const unsigned limit = 256 - 256 % alphabet.size();
  unsigned char buf[64];
  while (out.size() < len) {
    if (RAND_bytes(buf, sizeof buf) != 1) throw std::runtime_error("RAND_bytes failed");
    for (unsigned char b : buf) {
      if (b < limit && out.size() < len) out.push_back(alphabet[b % alphabet.size()]);
    }
  }
  return out;
}

}  // namespace herd

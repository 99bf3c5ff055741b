#include "util/crc.h"

#include <zlib.h>

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace herd {

namespace {

// Slicing-by-8 tables for a reflected CRC with polynomial `poly`.
template <typename T>
struct SliceTables {
  std::array<std::array<T, 256>, 8> t{};
  explicit constexpr SliceTables(T poly) {
    for (unsigned i = 0; i < 256; ++i) {
      T c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
      t[0][i] = c;
    }
    for (unsigned i = 0; i < 256; ++i)
      for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
  }
};

constexpr SliceTables<uint32_t> kCrc32c(0x82F63B78u);
constexpr SliceTables<uint64_t> kCrc64Nvme(0x9A6C9329AC4BC9B5ull);

// Reflected table CRC over `len` bytes, 8 at a time (little-endian loads).
template <typename T>
T slice_by_8(const SliceTables<T>& tb, T crc, const unsigned char* p, size_t len) {
  const auto& t = tb.t;
  while (len >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    if constexpr (sizeof(T) == 8) {
      word ^= crc;
      crc = t[7][word & 0xFF] ^ t[6][(word >> 8) & 0xFF] ^ t[5][(word >> 16) & 0xFF] ^ t[4][(word >> 24) & 0xFF] ^
            t[3][(word >> 32) & 0xFF] ^ t[2][(word >> 40) & 0xFF] ^ t[1][(word >> 48) & 0xFF] ^ t[0][word >> 56];
    } else {
      uint32_t lo = static_cast<uint32_t>(word) ^ crc, hi = static_cast<uint32_t>(word >> 32);
      crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
            t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
    }
    p += 8;
    len -= 8;
  }
  while (len--) crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xFF];
  return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t crc32c_hw(uint32_t crc, const unsigned char* p, size_t len) {
  uint64_t c = crc;
  while (len >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
    p += 8;
    len -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (len--) c32 = _mm_crc32_u8(c32, *p++);
  return c32;
}
#endif

}  // namespace

uint32_t crc32_update(uint32_t crc, const void* data, size_t len) {
  auto p = static_cast<const Bytef*>(data);
  while (len) {  // zlib takes uInt lengths
    uInt n = static_cast<uInt>(std::min<size_t>(len, 1u << 30));
    crc = static_cast<uint32_t>(::crc32(crc, p, n));
    p += n;
    len -= n;
  }
  return crc;
}

uint32_t crc32c_update(uint32_t crc, const void* data, size_t len) {
  auto p = static_cast<const unsigned char*>(data);
#if defined(__x86_64__)
  static const bool hw = __builtin_cpu_supports("sse4.2");
  if (hw) return ~crc32c_hw(~crc, p, len);
#endif
  return ~slice_by_8(kCrc32c, ~crc, p, len);
}

uint64_t crc64nvme_update(uint64_t crc, const void* data, size_t len) {
  return ~slice_by_8(kCrc64Nvme, ~crc, static_cast<const unsigned char*>(data), len);
}

}  // namespace herd

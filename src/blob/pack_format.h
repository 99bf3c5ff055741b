#pragma once
// The pack file format. A pack (<root>/packs/<16 hex digits>.pack) is a sequence of records, each
// a 48-byte header followed by the blob's bytes:
//   bytes 0-7    magic "HERDPAK1"
//   bytes 8-15   the blob's size, little-endian
//   bytes 16-47  the blob's SHA-256
// A blob's location is the offset of its bytes (just past its header). Packs are append-only, so
// a record never changes once written; the header lets a reader check that a location really
// holds the blob it expects, and lets a pack be read without the metadata.
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

namespace herd::pack {

constexpr size_t kHeaderSize = 48;
constexpr char kMagic[8] = {'H', 'E', 'R', 'D', 'P', 'A', 'K', '1'};

// The header of a record holding `size` bytes with digest `sha256` (raw 32 bytes).
inline std::string encode_header(const std::string& sha256, uint64_t size) {
  std::string h(kHeaderSize, '\0');
  std::memcpy(h.data(), kMagic, 8);
  for (int i = 0; i < 8; ++i) h[8 + i] = static_cast<char>((size >> (8 * i)) & 0xff);
  std::memcpy(h.data() + 16, sha256.data(), 32);
  return h;
}

struct Header {
  uint64_t size = 0;
  std::string sha256;
};

// Parses a record header; nullopt when the bytes are not one.
inline std::optional<Header> parse_header(const char* h) {
  if (std::memcmp(h, kMagic, 8) != 0) return std::nullopt;
  Header out;
  for (int i = 0; i < 8; ++i) out.size |= static_cast<uint64_t>(static_cast<unsigned char>(h[8 + i])) << (8 * i);
  out.sha256.assign(h + 16, 32);
  return out;
}

// The file name of pack `id`.
inline std::string file_name(int64_t id) {
  static const char* kDigits = "0123456789abcdef";
  std::string name(16, '0');
  for (int i = 15; i >= 0; --i, id >>= 4) name[i] = kDigits[id & 0xf];
  return name + ".pack";
}

// The id in a pack file name; nullopt for any other name.
inline std::optional<int64_t> id_of(const std::string& name) {
  if (name.size() != 21 || name.compare(16, 5, ".pack") != 0) return std::nullopt;
  int64_t id = 0;
  for (int i = 0; i < 16; ++i) {
    char c = name[i];
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (v < 0) return std::nullopt;
    id = (id << 4) | v;
  }
  if (id <= 0) return std::nullopt;
  return id;
}

}  // namespace herd::pack

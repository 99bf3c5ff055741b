#pragma once
// Where a blob's bytes are, as the metadata store records it for the blob store.
#include <cstdint>
#include <string>

namespace herd {

// Where a blob's bytes are: its own file (pack 0), or `offset` bytes into pack file `pack`.
struct BlobLocation {
  int64_t pack = 0;
  int64_t offset = 0;
  bool packed() const { return pack != 0; }
  bool operator==(const BlobLocation&) const = default;
};

// A blob stored in a pack, as the metadata records it.
struct PackedBlob {
  std::string sha256;  // raw 32 bytes
  int64_t size = 0;
  BlobLocation location;
};

}  // namespace herd

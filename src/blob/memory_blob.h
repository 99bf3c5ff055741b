#pragma once
// A small body kept in memory until it is placed: the blob store packs it together with others
// (one write and one sync for a group) instead of giving it a file of its own.
#include <string>

#include "blob/blob_store.h"

namespace herd {

class MemoryBlob : public TempBlob {
 public:
  // `expected` bytes are reserved up front (the declared body length).
  explicit MemoryBlob(size_t expected) { bytes_.reserve(expected); }
  void write(const char* data, size_t len) override { bytes_.append(data, len); }
  // Nothing is durable before placement, which syncs the pack.
  void sync() override {}
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

}  // namespace herd

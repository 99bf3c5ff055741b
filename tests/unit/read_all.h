#pragma once
// Test support: every byte of an open blob.
#include <string>

#include "blob/blob_store.h"

namespace herd::testing_support {

inline std::string read_all(BlobReader& r) {
  std::string out(static_cast<size_t>(r.size()), '\0');
  size_t done = 0;
  while (done < out.size()) {
    size_t n = r.read(static_cast<int64_t>(done), out.data() + done, out.size() - done);
    if (n == 0) break;
    done += n;
  }
  out.resize(done);
  return out;
}

}  // namespace herd::testing_support

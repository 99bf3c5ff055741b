#pragma once
// Metadata: the checks and repairs behind `herd fsck`. Thread-safe.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "meta/types.h"

namespace herd {

class CheckRows {
 public:
  virtual ~CheckRows() = default;
  // Under the write lock: sets the blob's refcount to the number of objects referencing it.
  // Returns {stored, actual} when they differed (and were fixed when `repair`).
  virtual std::optional<std::pair<int64_t, int64_t>> check_refcount(const std::string& sha256, bool repair) = 0;
  // Sets where a blob's bytes are (fsck points a quarantined packed blob at a missing file).
  virtual void set_blob_location(const std::string& sha256, const BlobLocation& where) = 0;
  // Distinct blob digests that objects reference but that have no blob row.
  virtual std::vector<std::string> dangling_blob_references() = 0;
  // Under the write lock: when no blob row exists for `sha256`, calls `adopt` (which returns the
  // blob's size when its bytes were verified, nullopt to drop them) and, when objects reference
  // it, recreates the row. Returns true when a row now exists.
  virtual bool adopt_blob(const std::string& sha256, const std::function<std::optional<int64_t>()>& adopt) = 0;
};

}  // namespace herd

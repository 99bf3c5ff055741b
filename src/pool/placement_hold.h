#pragma once
// Holds freshly placed blobs (BlobStore::place_many, repack) until the metadata records them:
// their packs stay unsealed, so compaction cannot delete bytes a commit is about to reference.
// Releases them when destroyed, whether the commit succeeded or not. Not thread-safe.
#include <vector>

#include "blob/blob_store.h"

namespace herd {

class PlacementHold {
 public:
  PlacementHold(BlobStore& store, std::vector<BlobLocation> locations)
      : store_(store), locations_(std::move(locations)) {}
  ~PlacementHold() { store_.release_placed(locations_); }
  PlacementHold(const PlacementHold&) = delete;
  PlacementHold& operator=(const PlacementHold&) = delete;

  const std::vector<BlobLocation>& locations() const { return locations_; }

 private:
  BlobStore& store_;
  std::vector<BlobLocation> locations_;
};

}  // namespace herd

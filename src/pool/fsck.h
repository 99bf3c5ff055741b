#pragma once
// herd fsck: checks that the metadata and the bytes agree, and optionally repairs what can be
// repaired without ever deleting a referenced, healthy blob.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "pool/pool.h"

namespace herd {

struct FsckOptions {
  bool repair = false;
  // Temp and staged files untouched this long are leftovers (younger ones may be in use).
  std::chrono::seconds stale_after{3600};
  // With repair: called for each referenced blob whose bytes are missing (or were corrupt and have
  // been quarantined) to fetch them again (from peers); true when it restored them.
  std::function<bool(const BlobRecord&)> refetch;
  // Called now and then with (blobs checked, blobs in total) for progress display.
  std::function<void(int64_t, int64_t)> progress;
};

struct FsckReport {
  int64_t blobs_checked = 0;
  int64_t bytes_checked = 0;
  int64_t corrupt_blobs = 0;       // bytes differ from their SHA-256 or size (quarantined on repair)
  int64_t missing_blobs = 0;       // referenced blobs whose bytes are absent (data loss: reported)
  int64_t wrong_refcounts = 0;     // reference counts that disagreed with the objects (recounted)
  int64_t dangling_objects = 0;    // object digests without a blob row (row rebuilt from bytes if any)
  int64_t orphan_blob_files = 0;   // bytes that no blob row describes (removed, or adopted)
  int64_t stray_files = 0;         // unexpected files in the blob tree (removed)
  int64_t stale_temp_files = 0;    // leftover uploads in tmp/ (removed)
  int64_t stale_staged_parts = 0;  // staged parts no multipart upload records (removed)
  int64_t repaired = 0;
  // Problems still present after this run (all found ones when not repairing).
  int64_t problems() const;
};

FsckReport fsck(Pool& pool, const FsckOptions& options);

}  // namespace herd

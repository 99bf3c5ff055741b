#pragma once
// Metadata: reading blob rows, and the queries behind garbage collection and pack compaction.
// Reference counts and states change only in a WriteTxn, by the pool's rules. Thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "meta/types.h"

namespace herd {

class BlobRows {
 public:
  virtual ~BlobRows() = default;
  // True when the blob is live and referenced right now (a hint: may change at once).
  virtual bool blob_is_live(const std::string& sha256) = 0;
  virtual std::optional<BlobRecord> get_blob(const std::string& sha256) = 0;
  // Where a blob's bytes are now; nullopt when there is no blob row.
  virtual std::optional<BlobLocation> blob_location(const std::string& sha256) = 0;
  // Blob rows with sha256 > `after` in order, at most `limit`.
  virtual std::vector<BlobRecord> list_blobs(const std::string& after, size_t limit) = 0;
  // Rows GC may claim, at most `limit`: live at zero references since `zero_cutoff_ms` or
  // earlier, pending since `pending_cutoff_ms` or earlier (abandoned placements), and deleting
  // since `claim_cutoff_ms` or earlier (claims of a pass that died or gave up).
  virtual std::vector<BlobRecord> gc_candidates(int64_t zero_cutoff_ms, int64_t pending_cutoff_ms,
                                                int64_t claim_cutoff_ms, size_t limit) = 0;

  // --- packs
  // Live bytes and blobs of every pack holding referenced blobs (packs absent here hold none).
  virtual std::vector<PackUsage> pack_usage() = 0;
  // The referenced blobs stored in pack `pack`.
  virtual std::vector<PackedBlob> packed_blobs(int64_t pack) = 0;
  // In one durable transaction: each blob still at `moves[i].first.location` now is at
  // `moves[i].second` (blobs moved or released meanwhile are left alone).
  virtual void relocate_blobs(const std::vector<std::pair<PackedBlob, BlobLocation>>& moves) = 0;
  // In one durable transaction: when no referenced blob is in pack `pack`, forgets the rows still
  // naming it (unreferenced ones: their bytes go with the pack) and returns true; the caller may
  // then delete the pack. False (and nothing changed) while a referenced blob is in it.
  virtual bool forget_pack(int64_t pack) = 0;
};

}  // namespace herd

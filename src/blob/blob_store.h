#pragma once
// The blob store: immutable bytes addressed by SHA-256. Local disk by default
// (disk_blob_store.h), or a bucket of an S3 cluster with a hot cache per node (s3_blob_store.h). Where a blob's bytes sit
// (its own file, or a range of a pack file shared by small blobs) is a BlobLocation, which the
// metadata store records next to the blob and hands back for reads.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "blob/blob_location.h"

namespace herd {

// A pack file's identity and size.
struct PackInfo {
  int64_t id = 0;
  int64_t bytes = 0;
  bool sealed = false;  // no writer appends to it any more (it may be compacted)
};

// Bytes being received, not yet addressable. Dropping it without place() discards them.
class TempBlob {
 public:
  virtual ~TempBlob() = default;
  // Appends bytes. Throws std::system_error on I/O failure.
  virtual void write(const char* data, size_t len) = 0;
  // Makes the bytes written so far durable (fsync). Idempotent.
  virtual void sync() = 0;
};

// An open, readable blob. Closes its descriptor when destroyed.
class BlobReader {
 public:
  virtual ~BlobReader() = default;
  virtual int64_t size() const = 0;
  // Reads up to `len` bytes at `offset`; returns the count (0 at end). Throws on I/O failure.
  virtual size_t read(int64_t offset, char* buf, size_t len) = 0;
  // The file descriptor, for zero-copy sending; -1 when the store has none.
  virtual int fd() const = 0;
  // Where the blob's first byte is in fd() (packed blobs share a file).
  virtual int64_t fd_offset() const { return 0; }
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // Starts receiving a new blob. Thread-safe.
  virtual std::unique_ptr<TempBlob> create_temp() = 0;
  // Makes `temp` durable under its content address `sha256` (raw bytes) and returns where it is.
  // A file is synced, renamed into place and its directory synced (replacing identical bytes
  // already there); an in-memory blob (MemoryBlob) is appended to a pack and the pack synced.
  // Placing a temp file again (after a failed commit) only re-syncs; a MemoryBlob is appended again.
  BlobLocation place(TempBlob& temp, const std::string& sha256) { return place_many({{&temp, sha256}})[0]; }
  // One blob to place.
  struct Placement {
    TempBlob* temp;
    std::string sha256;
  };
  // place() for several blobs at once, syncing each directory and the pack once (group commit).
  // Returns their locations, in order.
  virtual std::vector<BlobLocation> place_many(const std::vector<Placement>& blobs) = 0;
  // How many groups of placements may run at once to good effect: 1 for a local disk (one sync
  // serves a whole group), more for a remote store whose uploads are network round trips.
  virtual int concurrent_placements() const { return 1; }
  // Blobs placed (place_many) or moved (repack) keep their packs unsealed until released here,
  // once the metadata records them or they are given up: compaction, which takes only sealed
  // packs, can never delete bytes a commit is about to reference. Never throws.
  virtual void release_placed(const std::vector<BlobLocation>& placed) {}
  // Deletes the blob's bytes; absent bytes are not an error. Packed bytes stay where they are as
  // dead space until their pack is compacted (repack, delete_pack).
  virtual void remove(const std::string& sha256, const BlobLocation& where = {}) = 0;
  // Opens the blob for reading; nullptr when its bytes are absent (or the pack record at `where`
  // is not this blob's).
  virtual std::unique_ptr<BlobReader> open(const std::string& sha256, const BlobLocation& where = {}) = 0;
  // open() without waiting on the network, for callers on an I/O thread: the reader, nullptr when
  // the bytes are absent, or nullopt when only a fetch can tell (a cache miss of a remote store):
  // then call open() where blocking is fine.
  virtual std::optional<std::unique_ptr<BlobReader>> open_now(const std::string& sha256, const BlobLocation& where = {}) {
    return open(sha256, where);
  }
  // Deletes leftover temporary files (from crashes). Only call while no upload is running.
  virtual size_t clear_temp() = 0;

  // The staging area holds durable bytes that are not blobs yet (multipart parts).
  // Makes `temp` durable there and returns its handle. `sha256` is the raw digest of its bytes
  // (a remote store has the upload verified with it).
  virtual std::string stage(TempBlob& temp, const std::string& sha256) = 0;
  // Opens staged bytes; nullptr when absent.
  virtual std::unique_ptr<BlobReader> open_staged(const std::string& handle) = 0;
  // Deletes staged bytes; absent bytes are not an error.
  virtual void remove_staged(const std::string& handle) = 0;

  // --- inventory (herd fsck)
  // Calls `fn` with the digest (raw bytes) of every stored blob; files whose names are not
  // digests are reported through `stray`.
  virtual void for_each_blob(const std::function<void(const std::string&)>& fn,
                             const std::function<void(const std::string& path)>& stray) = 0;
  // Moves (a file) or copies (a pack record) a blob's bytes aside for inspection. A moved file is
  // no longer served; for a packed blob the caller must stop pointing at the record.
  virtual void quarantine(const std::string& sha256, const BlobLocation& where = {}) = 0;
  // Temporary files not modified for `age`, by path.
  virtual std::vector<std::string> stale_temp_files(std::chrono::seconds age) = 0;
  // Staging handles whose files were not modified for `age`.
  virtual std::vector<std::string> staged_older_than(std::chrono::seconds age) = 0;
  // Deletes a file reported by stale_temp_files() or for_each_blob()'s stray callback.
  virtual void remove_path(const std::string& path) = 0;

  // --- packs (garbage collection)
  // Every pack file, with its size and whether it is sealed.
  virtual std::vector<PackInfo> packs() = 0;
  // Copies packed blobs (verifying their SHA-256) into the pack being written, durably; returns
  // their new locations, in order, or nullopt for a blob whose bytes did not verify (left alone).
  // The new locations are held until release_placed().
  virtual std::vector<std::optional<BlobLocation>> repack(const std::vector<PackedBlob>& blobs) = 0;
  // Deletes a sealed pack once nothing refers to it; absent packs are not an error.
  virtual void delete_pack(int64_t id) = 0;
};

}  // namespace herd

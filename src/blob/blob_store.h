#pragma once
// The blob store: immutable bytes addressed by SHA-256. Local disk by default
// (disk_blob_store.h); an S3 cluster can implement the same interface.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>
#include <optional>
#include <string>

namespace herd {

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
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // Starts receiving a new blob. Thread-safe.
  virtual std::unique_ptr<TempBlob> create_temp() = 0;
  // Makes `temp` durable under its content address `sha256` (raw bytes): sync, rename into place,
  // sync the directory. Replaces any bytes already there (they are identical by construction).
  // Placing a temp blob again (after a failed commit) only re-syncs.
  void place(TempBlob& temp, const std::string& sha256) { place_many({{&temp, sha256}}); }
  // One blob to place.
  struct Placement {
    TempBlob* temp;
    std::string sha256;
  };
  // place() for several blobs at once, syncing each directory once (group commit).
  virtual void place_many(const std::vector<Placement>& blobs) = 0;
  // Deletes the blob's bytes; absent bytes are not an error.
  virtual void remove(const std::string& sha256) = 0;
  // Opens the blob for reading; nullptr when its bytes are absent.
  virtual std::unique_ptr<BlobReader> open(const std::string& sha256) = 0;
  // Deletes leftover temporary files (from crashes). Only call while no upload is running.
  virtual size_t clear_temp() = 0;

  // The staging area holds durable bytes that are not blobs yet (multipart parts).
  // Makes `temp` durable there and returns its handle.
  virtual std::string stage(TempBlob& temp) = 0;
  // Opens staged bytes; nullptr when absent.
  virtual std::unique_ptr<BlobReader> open_staged(const std::string& handle) = 0;
  // Deletes staged bytes; absent bytes are not an error.
  virtual void remove_staged(const std::string& handle) = 0;

  // --- inventory (herd fsck)
  // Calls `fn` with the digest (raw bytes) of every stored blob; files whose names are not
  // digests are reported through `stray`.
  virtual void for_each_blob(const std::function<void(const std::string&)>& fn,
                             const std::function<void(const std::string& path)>& stray) = 0;
  // Moves a blob's bytes aside for inspection (they are no longer served).
  virtual void quarantine(const std::string& sha256) = 0;
  // Temporary files not modified for `age`, by path.
  virtual std::vector<std::string> stale_temp_files(std::chrono::seconds age) = 0;
  // Staging handles whose files were not modified for `age`.
  virtual std::vector<std::string> staged_older_than(std::chrono::seconds age) = 0;
  // Deletes a file reported by stale_temp_files() or for_each_blob()'s stray callback.
  virtual void remove_path(const std::string& path) = 0;
};

}  // namespace herd

#pragma once
// A blob being received into a file of its own (in a store's tmp directory), until the store
// renames it into place or uploads it. Used by the disk and the S3 blob stores.
#include <sys/types.h>

#include <string>

#include "blob/blob_store.h"

namespace herd {

// Not thread-safe: one upload writes it. The file is removed on destruction unless it was
// placed (mark_placed), so an abandoned upload leaves nothing behind.
class TempFile : public TempBlob {
 public:
  // Creates a fresh, uniquely named file in `dir`. Throws std::system_error.
  explicit TempFile(const std::string& dir);
  ~TempFile() override;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  void write(const char* data, size_t len) override;
  void sync() override;

  const std::string& path() const { return path_; }
  int fd() const { return fd_; }
  // Bytes written so far.
  int64_t size() const { return written_; }
  bool placed() const { return placed_; }
  // Records that the file was renamed to `path` and belongs to the store now.
  void mark_placed(std::string path) {
    path_ = std::move(path);
    placed_ = true;
  }

 private:
  static constexpr off_t kWritebackChunk = 1 << 20;
  std::string path_;
  int fd_ = -1;
  off_t written_ = 0;
  off_t writeback_from_ = 0;  // bytes before this were handed to writeback already
  bool synced_ = false;
  bool placed_ = false;
};

}  // namespace herd

#pragma once
// Reading a blob from a local file (its own, a pack's range, or a cached copy), with pread, so
// readers may share one descriptor. Used by the disk and the S3 blob stores.
#include <fcntl.h>

#include <memory>
#include <string>

#include "blob/blob_store.h"
#include "blob/open_file_cache.h"

namespace herd {

// The range [base, base + size) of an open file. Thread-compatible: reads use explicit offsets.
class FileReader : public BlobReader {
 public:
  FileReader(std::shared_ptr<const OpenFile> file, int64_t base, int64_t size)
      : file_(std::move(file)), base_(base), size_(size) {}
  int64_t size() const override { return size_; }
  size_t read(int64_t offset, char* buf, size_t len) override;
  int fd() const override { return file_->fd; }
  int64_t fd_offset() const override { return base_; }

 private:
  std::shared_ptr<const OpenFile> file_;
  int64_t base_;
  int64_t size_;
};

// Opens a file (relative to directory `dir_fd`, or AT_FDCWD) for reading; nullptr when it does
// not exist. Throws std::system_error on other failures.
std::shared_ptr<const OpenFile> open_file(const std::string& path, int dir_fd = AT_FDCWD);

// A reader of the whole file; nullptr for nullptr.
std::unique_ptr<BlobReader> reader_of(std::shared_ptr<const OpenFile> file);

}  // namespace herd

#include "blob/file_reader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "blob/file_ops.h"

namespace herd {

using file_ops::fail;

size_t FileReader::read(int64_t offset, char* buf, size_t len) {
  if (offset >= size_) return 0;
  len = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(len), size_ - offset));
  while (true) {
    ssize_t n = ::pread(file_->fd, buf, len, base_ + offset);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) fail("read blob");
  }
}

std::shared_ptr<const OpenFile> open_file(const std::string& path, int dir_fd) {
  int fd = ::openat(dir_fd, path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return nullptr;
    fail("open " + path);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    fail("stat " + path);
  }
  return std::make_shared<const OpenFile>(fd, st.st_size);
}

std::unique_ptr<BlobReader> reader_of(std::shared_ptr<const OpenFile> file) {
  if (!file) return nullptr;
  int64_t size = file->size;
  return std::make_unique<FileReader>(std::move(file), 0, size);
}

}  // namespace herd

#include "blob/temp_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "blob/fault_injection.h"
#include "blob/file_ops.h"
#include "util/random.h"

namespace herd {

using file_ops::fail;

TempFile::TempFile(const std::string& dir) {
  path_ = dir + "/" + random_string(24, "abcdefghijklmnopqrstuvwxyz0123456789") + ".part";
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd_ < 0) fail("create " + path_);
}

TempFile::~TempFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!placed_) ::unlink(path_.c_str());
}

void TempFile::write(const char* data, size_t len) {
  maybe_inject_fault(FaultPoint::kWrite);
  while (len) {
    ssize_t n = ::write(fd_, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write " + path_);
    }
    data += n;
    len -= static_cast<size_t>(n);
    written_ += n;
  }
  synced_ = false;
  // Start writing large bodies back while they still arrive, so the final sync has little left.
  if (written_ - writeback_from_ >= kWritebackChunk) {
    ::sync_file_range(fd_, writeback_from_, written_ - writeback_from_, SYNC_FILE_RANGE_WRITE);
    writeback_from_ = written_;
  }
}

void TempFile::sync() {
  if (synced_) return;
  maybe_inject_fault(FaultPoint::kFsync);
  if (::fdatasync(fd_) != 0) fail("fsync " + path_);
  synced_ = true;
}

}  // namespace herd

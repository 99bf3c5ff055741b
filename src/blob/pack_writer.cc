#include "blob/pack_writer.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

#include "blob/fault_injection.h"
#include "blob/file_ops.h"
#include "blob/pack_format.h"
#include "util/random.h"

namespace herd {

using file_ops::fail;
using file_ops::fsync_dir;

namespace {

constexpr const char* kUnbornSuffix = ".unborn";

// A random pack id: positive, below 2^60 (16 hex digits), never 0.
int64_t random_id() {
  std::string hex = random_string(15, "0123456789abcdef");
  int64_t id = std::stoll(hex, nullptr, 16);
  return id == 0 ? 1 : id;
}

}  // namespace

PackWriter::PackWriter(std::string dir, int64_t max_pack_bytes) : dir_(std::move(dir)), max_pack_bytes_(max_pack_bytes) {}

PackWriter::~PackWriter() {
  held_.clear();
  close_pack();
  for (const auto& [id, fd] : retired_) ::close(fd);
}

void PackWriter::close_pack() {
  if (fd_ >= 0) {
    if (held_.count(id_)) retired_[id_] = fd_;  // sealed once its records are released
    else ::close(fd_);                           // releases the lock: the pack is sealed
  }
  fd_ = -1;
  id_ = 0;
  end_ = 0;
}

void PackWriter::release(const std::vector<BlobLocation>& locations) {
  std::lock_guard lock(mu_);
  for (const auto& where : locations) {
    auto it = held_.find(where.pack);
    if (!where.packed() || it == held_.end()) continue;
    if (--it->second > 0) continue;
    held_.erase(it);
    if (auto r = retired_.find(where.pack); r != retired_.end()) {
      ::close(r->second);
      retired_.erase(r);
    }
  }
}

void PackWriter::start_pack() {
  std::string temp = dir_ + "/" + random_string(24, "abcdefghijklmnopqrstuvwxyz0123456789") + kUnbornSuffix;
  int fd = ::open(temp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) fail("create " + temp);
  // Locked before it has its final name, so no one ever sees this pack unlocked while it grows.
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int saved = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    errno = saved;
    fail("lock " + temp);
  }
  try {
    maybe_inject_fault(FaultPoint::kRename);
  } catch (...) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  while (true) {
    int64_t id = random_id();
    std::string name = dir_ + "/" + pack::file_name(id);
    if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, name.c_str(), RENAME_NOREPLACE) == 0) {
      try {
        fsync_dir(dir_);
      } catch (...) {
        ::close(fd);
        throw;
      }
      fd_ = fd;
      id_ = id;
      end_ = 0;
      return;
    }
    if (errno == EEXIST) continue;
    int saved = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    errno = saved;
    fail("rename " + temp + " -> " + name);
  }
}

std::vector<BlobLocation> PackWriter::append(const std::vector<Entry>& entries) {
  std::lock_guard lock(mu_);
  if (fd_ < 0 || end_ >= max_pack_bytes_) {
    close_pack();
    start_pack();
  }
  std::vector<std::string> headers;
  headers.reserve(entries.size());
  std::vector<iovec> iov;
  iov.reserve(entries.size() * 2);
  std::vector<BlobLocation> locations;
  locations.reserve(entries.size());
  int64_t at = end_;
  for (const auto& e : entries) {
    headers.push_back(pack::encode_header(*e.sha256, e.size));
    iov.push_back({headers.back().data(), headers.back().size()});
    if (e.size) iov.push_back({const_cast<char*>(e.data), e.size});
    locations.push_back({id_, at + static_cast<int64_t>(pack::kHeaderSize)});
    at += static_cast<int64_t>(pack::kHeaderSize + e.size);
  }
  try {
    maybe_inject_fault(FaultPoint::kWrite);
    // pwritev at most IOV_MAX buffers at a time, resuming after short writes.
    size_t i = 0, skip = 0;
    int64_t pos = end_;
    while (i < iov.size()) {
      iov[i].iov_base = static_cast<char*>(iov[i].iov_base) + skip;
      iov[i].iov_len -= skip;
      int count = static_cast<int>(std::min<size_t>(iov.size() - i, IOV_MAX));
      ssize_t n = ::pwritev(fd_, &iov[i], count, pos);
      if (n < 0) {
        if (errno == EINTR) {
          skip = 0;
          continue;
        }
        fail("write pack " + pack::file_name(id_));
      }
      pos += n;
      skip = 0;
      for (size_t left = static_cast<size_t>(n); left > 0;) {
        if (left >= iov[i].iov_len) {
          left -= iov[i].iov_len;
          ++i;
        } else {
          skip = left;
          left = 0;
        }
      }
    }
    maybe_inject_fault(FaultPoint::kFsync);
    if (::fdatasync(fd_) != 0) fail("fsync pack " + pack::file_name(id_));
  } catch (...) {
    // After a failed write or sync the pack's state on disk is unknown: never append to it again.
    close_pack();
    throw;
  }
  end_ = at;
  if (!locations.empty()) held_[id_] += static_cast<int64_t>(locations.size());
  return locations;
}

bool PackWriter::in_use(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

size_t PackWriter::clear_unborn(const std::string& dir) {
  size_t removed = 0;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return 0;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (!name.ends_with(kUnbornSuffix)) continue;
    std::string path = dir + "/" + name;
    if (!in_use(path) && ::unlink(path.c_str()) == 0) ++removed;
  }
  ::closedir(d);
  return removed;
}

}  // namespace herd

#include "app/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "blob/disk_blob_store.h"
#include "blob/s3_blob_store.h"
#include "meta/open_meta_store.h"

namespace herd {

DataDir::DataDir(const std::string& path, const MetaOptions& meta, const BlobOptions& blobs, Use use) : path_(path) {
  ::umask(077);  // everything Herd creates (database, WAL, blobs) is owner-only
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
    throw std::runtime_error("cannot create data directory " + path + ": " + std::strerror(errno));
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw std::runtime_error("data directory " + path + " is not a directory");
  meta_ = open_meta_store(meta, path);
  if (blobs.backend == "s3") blobs_ = std::make_unique<S3BlobStore>(blobs, path, use == Use::kServer);
  else blobs_ = std::make_unique<DiskBlobStore>(path);
  pool_ = std::make_unique<Pool>(*meta_, *blobs_);
}

DataDir::~DataDir() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

GcReport DataDir::gc(int64_t grace_ms, int64_t claim_lease_ms) {
  if (pool_->meta().shared_by_nodes()) return pool_->gc(grace_ms, claim_lease_ms);
  std::string lock_path = path_ + "/gc.lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot open " + lock_path + ": " + std::strerror(errno));
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno != EINTR) {
      ::close(fd);
      throw std::runtime_error("cannot lock " + lock_path + ": " + std::strerror(errno));
    }
  }
  try {
    GcReport r = pool_->gc(grace_ms, 0);
    ::close(fd);  // releases the lock
    return r;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

bool DataDir::lock_for_serving() {
  std::string lock_path = path_ + "/serve.lock";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) throw std::runtime_error("cannot open " + lock_path + ": " + std::strerror(errno));
  return ::flock(lock_fd_, LOCK_EX | LOCK_NB) == 0;
}

}  // namespace herd

#pragma once
// A Herd data directory: the blob store, and the metadata backend the options name (SQLite:
// <dir>/herd.db; or PostgreSQL), opened together as a Pool. Created owner-only (0700 directory,
// 0600 files).
#include <memory>
#include <string>

#include "blob/disk_blob_store.h"
#include "meta/meta_options.h"
#include "meta/meta_store.h"
#include "pool/pool.h"

namespace herd {

class DataDir {
 public:
  // Opens or creates the data directory. Throws std::runtime_error with a clear message.
  explicit DataDir(const std::string& path, const MetaOptions& meta = {});
  ~DataDir();

  Pool& pool() { return *pool_; }
  const std::string& path() const { return path_; }
  // Takes an exclusive lock so only one server runs on this directory; false when held.
  bool lock_for_serving();

 private:
  std::string path_;
  std::unique_ptr<MetaStore> meta_;
  std::unique_ptr<DiskBlobStore> blobs_;
  std::unique_ptr<Pool> pool_;
  int lock_fd_ = -1;
};

}  // namespace herd

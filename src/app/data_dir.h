#pragma once
// The composition root of a pool: the data directory, the metadata backend [meta] names (SQLite:
// <dir>/herd.db; or PostgreSQL) and the blob backend [blobs] names (<dir>/blobs and packs; or an
// S3 bucket with this node's hot cache), opened together as a Pool. Created owner-only (0700
// directory, 0600 files). One per process; the server takes the directory's lock.
#include <memory>
#include <string>

#include "blob/blob_options.h"
#include "blob/blob_store.h"
#include "meta/meta_options.h"
#include "meta/meta_store.h"
#include "pool/pool.h"

namespace herd {

class DataDir {
 public:
  // Who opens it: the server keeps a hot cache of remote blobs; one-shot commands (which may run
  // beside a server) do not touch it.
  enum class Use { kCommand, kServer };
  // Opens or creates the data directory and the backends. Throws std::runtime_error with a clear
  // message.
  explicit DataDir(const std::string& path, const MetaOptions& meta = {}, const BlobOptions& blobs = {},
                   Use use = Use::kCommand);
  ~DataDir();

  Pool& pool() { return *pool_; }
  const std::string& path() const { return path_; }
  // Takes an exclusive lock so only one server runs on this directory; false when held.
  bool lock_for_serving();
  // One garbage collection pass (Pool::gc). On metadata only this directory's processes use
  // (SQLite) passes take turns (a lock file, gc.lock), so each runs alone and finishes at once
  // what a crashed pass left; on shared metadata (PostgreSQL) passes of several nodes run side by
  // side, their claims leases of `claim_lease_ms`. Blocks while another pass holds the lock.
  GcReport gc(int64_t grace_ms, int64_t claim_lease_ms);

 private:
  std::string path_;
  std::unique_ptr<MetaStore> meta_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<Pool> pool_;
  int lock_fd_ = -1;
};

}  // namespace herd

#pragma once
// Group commit: concurrent PutObject commits share one metadata transaction, so N uploads
// finishing together cost one durable metadata write (and one sync per blob directory) instead
// of N. The first committer to find no commit running leads: it takes every queued commit,
// including its own, and commits them together while the next ones queue up. No extra thread.
#include <condition_variable>
#include <exception>
#include <mutex>
#include <vector>

#include "blob/blob_store.h"
#include "meta/meta_store.h"

namespace herd {

class GroupCommit {
 public:
  GroupCommit(MetaStore& meta, BlobStore& blobs) : meta_(meta), blobs_(blobs) {}

  // Commits `object`, whose bytes are `temp` (placed when the blob has no live reference), together
  // with the commits other threads make meanwhile. Blocks until it is durable, then returns as
  // MetaStore::put_object would, or throws what it would.
  PutOutcome commit(const ObjectRecord& object, TempBlob& temp);

  // Commits so far, and the groups they formed (commits / groups is the mean group size).
  struct Stats {
    uint64_t commits = 0;
    uint64_t groups = 0;
  };
  Stats stats() const;
  // Commits waiting for the running group to finish.
  size_t queued() const;

 private:
  struct Waiter {
    const ObjectRecord* object;
    TempBlob* temp;
    PutOutcome outcome;
    std::exception_ptr error;
    bool done = false;
  };
  // Commits a group, filling in each waiter's outcome or error.
  void commit_group(const std::vector<Waiter*>& group);

  MetaStore& meta_;
  BlobStore& blobs_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Waiter*> queue_;
  bool leading_ = false;  // a leader is committing a group
  Stats stats_;
};

}  // namespace herd

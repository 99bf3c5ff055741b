#pragma once
// Group commit: concurrent PutObject commits share their metadata transactions (ObjectCommits),
// so N uploads finishing together cost one durable metadata write (and one pack sync, one sync
// per blob directory) instead of N. A committer thread takes every queued commit into one group and
// commits it while the next ones queue up; a remote blob store gets several committers
// (BlobStore::concurrent_placements), so groups overlap their uploads. Submitting never blocks the caller, so an I/O thread
// can hand a commit over and serve other connections until it is durable.
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "blob/blob_store.h"
#include "meta/meta_store.h"
#include "pool/object_commits.h"

namespace herd {

class GroupCommit {
 public:
  GroupCommit(MetaStore& meta, BlobStore& blobs);
  // Finishes the queued commits, then stops the committer.
  ~GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Called on the committer thread once a commit is durable (error empty), or failed (outcome as
  // ObjectCommits::commit_one would return it, error what it would throw).
  using Done = std::function<void(PutOutcome outcome, std::exception_ptr error)>;
  // Queues a commit of `object`, whose bytes are `temp` with MD5 `md5` (raw; placed when the blob
  // has no live reference). All three must stay alive until `done` has run.
  void submit(const ObjectRecord& object, TempBlob& temp, const std::string& md5, Done done);
  // submit(), then blocks until it is done; returns or throws as ObjectCommits::commit_one would.
  PutOutcome commit(const ObjectRecord& object, TempBlob& temp, const std::string& md5);
  // Blocks until every commit submitted so far is done.
  void drain();

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
    const std::string* md5;
    Done done;
    PutOutcome outcome;
    std::exception_ptr error;
  };
  // The committer thread: commits groups until stopped with nothing queued.
  void run();
  // Commits a group, filling in each waiter's outcome or error.
  void commit_group(std::vector<Waiter>& group);

  ObjectCommits commits_;
  mutable std::mutex mu_;
  std::condition_variable work_;  // the committer waits here for commits
  std::condition_variable idle_;  // drain() waits here for the committer
  std::vector<Waiter> queue_;
  int committing_ = 0;  // groups being committed
  bool stopping_ = false;
  Stats stats_;
  std::vector<std::thread> committers_;
};

}  // namespace herd

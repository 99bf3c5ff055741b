#include "pool/group_commit.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>

namespace herd {

GroupCommit::GroupCommit(MetaStore& meta, BlobStore& blobs) : commits_(meta, blobs) {
  for (int i = 0; i < std::max(1, blobs.concurrent_placements()); ++i) committers_.emplace_back([this] { run(); });
}

GroupCommit::~GroupCommit() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_.notify_all();
  for (auto& t : committers_) t.join();
}

void GroupCommit::submit(const ObjectRecord& object, TempBlob& temp, const std::string& md5, Done done) {
  bool wake;
  {
    std::lock_guard lock(mu_);
    queue_.push_back(Waiter{&object, &temp, &md5, std::move(done), {}, nullptr});
    // A running group picks the queue up when it ends; only an idle committer needs waking.
    wake = committing_ < static_cast<int>(committers_.size()) && queue_.size() == 1;
  }
  if (wake) work_.notify_one();
}

PutOutcome GroupCommit::commit(const ObjectRecord& object, TempBlob& temp, const std::string& md5) {
  std::promise<PutOutcome> result;
  submit(object, temp, md5, [&](PutOutcome outcome, std::exception_ptr error) {
    if (error) result.set_exception(error);
    else result.set_value(outcome);
  });
  return result.get_future().get();
}

void GroupCommit::drain() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return queue_.empty() && committing_ == 0; });
}

void GroupCommit::run() {
  std::unique_lock lock(mu_);
  while (true) {
    work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, with nothing left to commit
    std::vector<Waiter> group;
    group.swap(queue_);
    ++committing_;
    lock.unlock();
    commit_group(group);
    {
      // Counted before any waiter learns its outcome, so stats() covers every commit returned.
      std::lock_guard counted(mu_);
      stats_.commits += group.size();
      ++stats_.groups;
    }
    for (auto& w : group) {
      try {
        w.done(w.outcome, w.error);
      } catch (const std::exception& e) {  // must not stop the committer: the others still wait
        spdlog::error("group commit: a completion failed: {}", e.what());
      }
    }
    lock.lock();
    --committing_;
    if (queue_.empty() && committing_ == 0) idle_.notify_all();
  }
}

GroupCommit::Stats GroupCommit::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

size_t GroupCommit::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void GroupCommit::commit_group(std::vector<Waiter>& group) {
  std::vector<PendingPut> puts;
  puts.reserve(group.size());
  for (const Waiter& w : group) puts.push_back(PendingPut{*w.object, w.temp, *w.md5, {}, {}, nullptr});
  try {
    commits_.commit(puts);
    for (size_t i = 0; i < group.size(); ++i) {
      group[i].outcome = puts[i].outcome;
      group[i].error = puts[i].error;
    }
    return;
  } catch (const std::exception& e) {
    if (group.size() == 1) {
      group[0].error = std::current_exception();
      return;
    }
    spdlog::warn("group commit of {} objects failed ({}): committing them one by one", group.size(), e.what());
  }
  // One member may have spoiled the group (say, its blob could not be placed): commit each
  // alone, so every one gets its own outcome.
  for (Waiter& w : group) {
    try {
      w.outcome = commits_.commit_one(*w.object, *w.temp, *w.md5);
    } catch (...) {
      w.error = std::current_exception();
    }
  }
}

}  // namespace herd

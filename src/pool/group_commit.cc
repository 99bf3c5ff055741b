#include "pool/group_commit.h"

#include <spdlog/spdlog.h>

namespace herd {

PutOutcome GroupCommit::commit(const ObjectRecord& object, TempBlob& temp) {
  Waiter self{&object, &temp, {}, nullptr};
  std::unique_lock lock(mu_);
  queue_.push_back(&self);
  while (!self.done) {
    if (leading_) {
      cv_.wait(lock);
      continue;
    }
    leading_ = true;
    std::vector<Waiter*> group;
    group.swap(queue_);
    lock.unlock();
    commit_group(group);
    lock.lock();
    stats_.commits += group.size();
    ++stats_.groups;
    leading_ = false;
    for (Waiter* w : group) w->done = true;
    cv_.notify_all();
  }
  if (self.error) std::rethrow_exception(self.error);
  return self.outcome;
}

GroupCommit::Stats GroupCommit::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

size_t GroupCommit::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void GroupCommit::commit_group(const std::vector<Waiter*>& group) {
  std::vector<PendingPut> puts;
  puts.reserve(group.size());
  for (Waiter* w : group) puts.push_back(PendingPut{*w->object, {}, nullptr});
  auto place = [&](const std::vector<size_t>& indexes) {
    std::vector<BlobStore::Placement> blobs;
    for (size_t i : indexes) blobs.push_back({group[i]->temp, puts[i].object.sha256});
    return blobs_.place_many(blobs);
  };
  try {
    meta_.put_objects(puts, place);
    for (size_t i = 0; i < group.size(); ++i) {
      group[i]->outcome = puts[i].outcome;
      group[i]->error = puts[i].error;
    }
    return;
  } catch (const std::exception& e) {
    if (group.size() == 1) {
      group[0]->error = std::current_exception();
      return;
    }
    spdlog::warn("group commit of {} objects failed ({}): committing them one by one", group.size(), e.what());
  }
  // One member may have spoiled the group (say, its blob could not be placed): commit each
  // alone, so every one gets its own outcome.
  for (Waiter* w : group) {
    try {
      w->outcome = meta_.put_object(*w->object, [&] { return blobs_.place(*w->temp, w->object->sha256); });
    } catch (...) {
      w->error = std::current_exception();
    }
  }
}

}  // namespace herd

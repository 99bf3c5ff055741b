#include "pool/object_commits.h"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <thread>

#include "pool/placement_hold.h"
#include "util/clock.h"

namespace herd {

namespace {

// Rounds an entry may take before giving up on a blob that GC keeps deleting (about 5 s).
constexpr int kMaxRounds = 100;

}  // namespace

ObjectCommits::Step ObjectCommits::reserve(WriteTxn& txn, const PendingPut& put, int64_t now,
                                           std::vector<Reserved>& reserved) {
  const std::string& sha = put.object.sha256;
  if (!txn.bucket_exists(put.object.bucket_id)) throw NoSuchBucketError();  // place nothing for it
  auto row = txn.lock_blob(sha);
  // Bytes that would be placed may be bytes an operator took down (pool/takedowns.cc); bytes with
  // live references never are (a takedown removes every reference in its transaction).
  const bool places = !row || row->state != BlobState::kLive || row->refcount == 0;
  if (places && txn.is_taken_down(sha)) throw TakenDownError();
  if (!row) {
    txn.insert_pending_blob(sha, put.object.size, now);
    reserved.push_back({sha, true});
    return Step::kPlace;
  }
  switch (row->state) {
    case BlobState::kDeleting: return Step::kWait;  // GC is deleting these bytes: place them once it is done
    case BlobState::kPending: return Step::kPlace;  // someone else is placing them: so do we
    case BlobState::kLive:
      if (row->refcount > 0) return Step::kReference;
      // At zero references the bytes may be going (or gone): place them again, and keep GC off
      // the row meanwhile.
      txn.set_blob_state(sha, BlobState::kPending, now);
      reserved.push_back({sha, false});
      return Step::kPlace;
  }
  throw std::logic_error("unknown blob state");
}

void ObjectCommits::write_object(WriteTxn& txn, PendingPut& put, int64_t now) {
  if (auto previous = txn.write_object(put.object)) txn.release_reference(*previous, now);
  if (put.also) put.also(txn);
}

std::vector<size_t> ObjectCommits::round(std::vector<PendingPut>& puts, const std::vector<size_t>& indexes) {
  const int64_t now = now_ms();
  std::vector<Step> steps(puts.size(), Step::kDone);
  std::vector<size_t> retry;

  // 1. Reserve. Not durable: nothing is acknowledged before step 3, whose sync covers this too.
  std::vector<Reserved> reserved;
  {
    auto txn = meta_.write(false);
    std::set<std::string> placing;  // of several entries with the same new bytes, one places them
    for (size_t i : indexes) {
      txn->begin_entry();
      const size_t reserved_before = reserved.size();
      try {
        steps[i] = reserve(*txn, puts[i], now, reserved);
        txn->end_entry(true);
      } catch (...) {
        reserved.resize(reserved_before);
        puts[i].error = std::current_exception();
        txn->end_entry(false);
        continue;
      }
      if (steps[i] == Step::kPlace && !placing.insert(puts[i].object.sha256).second) steps[i] = Step::kReference;
      if (steps[i] == Step::kWait) retry.push_back(i);
    }
    txn->commit();
  }

  try {
    commit_reserved(puts, indexes, steps, retry, now);
  } catch (...) {
    undo(reserved);
    throw;
  }
  std::sort(retry.begin(), retry.end());
  return retry;
}

void ObjectCommits::undo(const std::vector<Reserved>& reserved) {
  try {
    auto txn = meta_.write(false);
    const int64_t now = now_ms();
    for (const auto& r : reserved) {
      auto row = txn->lock_blob(r.sha256);
      if (!row || row->state != BlobState::kPending) continue;  // committed (or claimed) since
      if (r.created) txn->delete_blob(r.sha256);
      else txn->set_blob_state(r.sha256, BlobState::kLive, now);
    }
    txn->commit();
  } catch (const std::exception&) {  // the rows stay pending: GC takes them after kPendingTimeout
  }
}

void ObjectCommits::commit_reserved(std::vector<PendingPut>& puts, const std::vector<size_t>& indexes,
                                    const std::vector<Step>& steps, std::vector<size_t>& retry, int64_t now) {
  // 2. Place the new bytes, outside any transaction.
  std::vector<size_t> placed;
  std::vector<BlobStore::Placement> batch;
  for (size_t i : indexes)
    if (steps[i] == Step::kPlace) {
      if (!puts[i].temp) throw std::logic_error("an object with new bytes needs its temp blob");
      placed.push_back(i);
      batch.push_back({puts[i].temp, puts[i].object.sha256});
    }
  PlacementHold hold(blobs_, batch.empty() ? std::vector<BlobLocation>{} : blobs_.place_many(batch));
  std::vector<BlobLocation> where(puts.size());
  for (size_t k = 0; k < placed.size(); ++k) where[placed[k]] = hold.locations()[k];

  // 3. Commit, durably. A blob that lost its last reference since step 1 (or whose pending row GC
  //    claimed as abandoned) is tried again from step 1.
  auto txn = meta_.write(true);
  for (size_t i : indexes) {
    if (steps[i] != Step::kPlace && steps[i] != Step::kReference) continue;
    PendingPut& put = puts[i];
    const std::string& sha = put.object.sha256;
    txn->begin_entry();
    try {
      auto row = txn->lock_blob(sha);
      const bool referenced = row && row->state == BlobState::kLive && row->refcount > 0;
      bool ok = false;
      if (steps[i] == Step::kReference) {
        ok = referenced;
        if (ok) txn->add_reference(sha);
        put.outcome.deduplicated = true;
      } else if (row && row->state != BlobState::kDeleting) {
        ok = true;
        // Live and referenced: another upload committed the same bytes first; ours are garbage.
        if (referenced) txn->add_reference(sha);
        else txn->make_blob_live(sha, where[i], put.md5);
        put.outcome.deduplicated = false;
      }
      if (!ok) {
        txn->end_entry(false);
        retry.push_back(i);
        continue;
      }
      write_object(*txn, put, now);
      txn->end_entry(true);
    } catch (...) {
      put.error = std::current_exception();
      txn->end_entry(false);
    }
  }
  txn->commit();
}

void ObjectCommits::commit(std::vector<PendingPut>& puts) {
  std::vector<size_t> todo(puts.size());
  for (size_t i = 0; i < todo.size(); ++i) todo[i] = i;
  for (int attempt = 0; !todo.empty(); ++attempt) {
    if (attempt == kMaxRounds) {
      for (size_t i : todo)
        puts[i].error = std::make_exception_ptr(std::runtime_error("the blob is being deleted; try again"));
      return;
    }
    // Another round means GC was deleting a blob (or took it back): give it a moment to finish.
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1 << std::min(attempt, 6), 50)));
    try {
      todo = round(puts, todo);
    } catch (...) {
      if (attempt == 0) throw;  // nothing committed yet: the caller may retry them all
      for (size_t i : todo) puts[i].error = std::current_exception();
      return;
    }
  }
}

PutOutcome ObjectCommits::commit_one(const ObjectRecord& object, TempBlob& temp, const std::string& md5,
                                     std::function<void(WriteTxn&)> also) {
  std::vector<PendingPut> puts{PendingPut{object, &temp, md5, std::move(also), {}, nullptr}};
  commit(puts);
  if (puts[0].error) std::rethrow_exception(puts[0].error);
  return puts[0].outcome;
}

bool ObjectCommits::reference(const ObjectRecord& object, std::function<void(WriteTxn&)> also) {
  auto txn = meta_.write(true);
  auto row = txn->lock_blob(object.sha256);
  if (!row || row->state != BlobState::kLive || row->refcount == 0) return false;
  txn->add_reference(object.sha256);
  if (auto previous = txn->write_object(object)) txn->release_reference(*previous, now_ms());
  if (also) also(*txn);
  txn->commit();
  return true;
}

bool ObjectCommits::remove(int64_t bucket_id, const std::string& key) {
  auto txn = meta_.write(true);
  auto sha = txn->delete_object(bucket_id, key);
  if (!sha) return false;
  txn->release_reference(*sha, now_ms());
  txn->commit();
  return true;
}

void ObjectCommits::remove_many(int64_t bucket_id, const std::vector<std::string>& keys) {
  auto txn = meta_.write(true);
  const int64_t now = now_ms();
  for (const auto& key : keys)
    if (auto sha = txn->delete_object(bucket_id, key)) txn->release_reference(*sha, now);
  txn->commit();
}

std::vector<std::string> ObjectCommits::remove_tenant(int64_t tenant_id) {
  auto txn = meta_.write(true);
  auto deleted = txn->delete_tenant(tenant_id);
  const int64_t now = now_ms();
  for (const auto& sha : deleted.blobs) txn->release_reference(sha, now);
  txn->commit();
  return deleted.staged;
}

}  // namespace herd

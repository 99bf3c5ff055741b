// Pool::gc: garbage collection of unreferenced blobs, then compaction of mostly dead packs. The
// rules (grace, claim before delete, re-check under the row lock) are here, over WriteTxn.
#include <spdlog/spdlog.h>

#include <map>
#include <set>

#include "pool/placement_hold.h"
#include "pool/pool.h"
#include "util/clock.h"
#include "util/hex.h"

namespace herd {

namespace {

constexpr size_t kBatch = 256;
// Whether GC may claim the row now (the same test as MetaStore::gc_candidates, made again under
// the row lock).
bool claimable(const BlobRecord& row, int64_t zero_cutoff, int64_t pending_cutoff, int64_t claim_cutoff) {
  switch (row.state) {
    case BlobState::kDeleting: return row.state_ms <= claim_cutoff;  // its pass died or gave up
    case BlobState::kPending: return row.state_ms <= pending_cutoff;
    case BlobState::kLive: return row.refcount == 0 && row.zero_since_ms <= zero_cutoff;
  }
  return false;
}

}  // namespace

GcReport Pool::gc(int64_t grace_ms, int64_t claim_lease_ms) {
  // A claim (a row marked deleting, stamped with its pass's time) is a lease when passes may run
  // side by side: its pass deletes bytes only while the claim is younger than half of it, and
  // another pass takes a claim over only once it is older than all of it, so two passes never
  // delete the same bytes. A pass that runs alone (claim_lease_ms 0) takes every claim over: all
  // are left by passes that died.
  const bool alone = claim_lease_ms == 0;
  GcReport report;
  std::set<std::string> failed;  // bytes that could not be deleted in this pass (retried next pass)
  while (true) {
    const int64_t now = now_ms();
    const int64_t zero_cutoff = now - grace_ms;
    const int64_t pending_cutoff =
        now - std::chrono::duration_cast<std::chrono::milliseconds>(ObjectCommits::kPendingTimeout).count();
    const int64_t claim_cutoff = alone ? now : now - claim_lease_ms;
    auto candidates = meta_.gc_candidates(zero_cutoff, pending_cutoff, claim_cutoff, kBatch + failed.size());
    std::erase_if(candidates, [&](const BlobRecord& b) { return failed.count(b.sha256) > 0; });
    if (candidates.empty()) break;

    // 1. Claim, durably, stamped with this pass's time: from here on no upload trusts or revives
    //    these rows (one that meets them waits until they are gone and places its bytes anew),
    //    and no other pass takes them during the lease.
    std::vector<BlobRecord> claimed;
    {
      auto txn = meta_.write(true);
      for (const auto& c : candidates) {
        auto row = txn->lock_blob(c.sha256);
        if (!row || !claimable(*row, zero_cutoff, pending_cutoff, claim_cutoff)) continue;  // referenced again, or gone
        txn->set_blob_state(row->sha256, BlobState::kDeleting, now);
        claimed.push_back(*row);
      }
      txn->commit();
    }
    // 2. Delete the bytes, outside any transaction (packed bytes stay as dead space until their
    //    pack is compacted), while the claim is young.
    std::vector<const BlobRecord*> gone, given_up;
    for (const auto& row : claimed) {
      if (!alone && now_ms() - now > claim_lease_ms / 2) {
        given_up.push_back(&row);
        continue;
      }
      try {
        blobs_.remove(row.sha256, row.location);
        gone.push_back(&row);
      } catch (const std::exception& e) {
        spdlog::warn("gc: could not delete blob {}: {}", to_hex(row.sha256), e.what());
        given_up.push_back(&row);
      }
    }
    // 3. Forget the rows still under this pass's claim, and release the claims it gave up (any
    //    pass may take them at once). Not durable: a row this loses stays claimed, and a pass
    //    takes it over after the lease, deletes (nothing) and forgets it.
    {
      auto txn = meta_.write(false);
      for (const BlobRecord* row : gone) {
        auto now_row = txn->lock_blob(row->sha256);
        if (!now_row || now_row->state != BlobState::kDeleting || now_row->state_ms != now) continue;
        txn->delete_blob(row->sha256);
        // Rows being placed (pending) never counted as stored blobs.
        if (row->state != BlobState::kPending) {
          ++report.blobs_removed;
          report.bytes_freed += row->size;
        }
      }
      for (const BlobRecord* row : given_up) {
        failed.insert(row->sha256);
        auto now_row = txn->lock_blob(row->sha256);
        if (now_row && now_row->state == BlobState::kDeleting && now_row->state_ms == now)
          txn->set_blob_state(row->sha256, BlobState::kDeleting, 0);
      }
      txn->commit();
    }
    if (claimed.empty()) break;  // every candidate was taken back meanwhile: nothing more to do now
  }
  compact_packs(report);
  return report;
}

void Pool::compact_packs(GcReport& report) {
  std::map<int64_t, int64_t> live;  // pack -> live bytes
  for (const auto& u : meta_.pack_usage()) live[u.pack] = u.live_bytes;
  for (const auto& pack : blobs_.packs()) {
    if (!pack.sealed) continue;  // still being written (or holding bytes a commit is recording)
    const int64_t live_bytes = live.count(pack.id) ? live[pack.id] : 0;
    if (live_bytes > 0 && live_bytes * 2 > pack.bytes) continue;  // mostly live: keep as is
    if (live_bytes > 0) {
      auto blobs = meta_.packed_blobs(pack.id);
      auto moved = blobs_.repack(blobs);
      std::vector<BlobLocation> placed;
      std::vector<std::pair<PackedBlob, BlobLocation>> moves;
      for (size_t i = 0; i < blobs.size(); ++i)
        if (moved[i]) {
          moves.emplace_back(blobs[i], *moved[i]);
          placed.push_back(*moved[i]);
        }
      PlacementHold hold(blobs_, std::move(placed));
      meta_.relocate_blobs(moves);
      report.blobs_repacked += static_cast<int64_t>(moves.size());
    }
    // Kept when a blob could not be moved (corrupt: fsck reports it) or was referenced meanwhile.
    // The rows go first (durably), then the bytes: a crash in between leaves only a pack nothing
    // names, which the next pass deletes.
    if (meta_.forget_pack(pack.id)) {
      blobs_.delete_pack(pack.id);
      ++report.packs_removed;
      report.bytes_freed += pack.bytes - live_bytes;
    }
  }
}

}  // namespace herd

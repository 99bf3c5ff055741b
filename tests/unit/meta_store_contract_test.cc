// The metadata store contract: one suite run against every MetaStore backend (SQLite in a
// scratch directory; PostgreSQL in a fresh schema of the test server scripts/test-postgres.sh
// starts), with DiskBlobStore and the pool's rules on top (pool/object_commits.h, Pool::gc):
// tenants, buckets, objects, the blob reference counts behind deduplication, GC candidates and
// removal, listing order, metadata round trips, reopening, and two stores writing at once.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "blob/disk_blob_store.h"
#include "meta/meta_store.h"
#include "meta/row_codecs.h"
#include "meta/sqlite.h"
#include "meta_store_backends.h"
#include "pool/object_commits.h"
#include "pool/pool.h"
#include "util/clock.h"
#include "util/digest.h"
#include "util/hex.h"
#include "read_all.h"
#include "scratch_dir.h"

namespace herd {
namespace {

namespace fs = std::filesystem;

using testing_support::count_files;
using testing_support::read_all;
using testing_support::ScratchDir;

// A disk store counting the blobs it places, whose placements and removals can be made to fail.
class CountingBlobStore : public DiskBlobStore {
 public:
  using DiskBlobStore::DiskBlobStore;
  std::vector<BlobLocation> place_many(const std::vector<Placement>& blobs) override {
    if (fail_place) throw std::runtime_error("disk full");
    placed += static_cast<int>(blobs.size());
    return DiskBlobStore::place_many(blobs);
  }
  void remove(const std::string& sha256, const BlobLocation& where = {}) override {
    if (fail_remove) throw std::runtime_error("EIO");
    DiskBlobStore::remove(sha256, where);
  }
  std::atomic<int> placed{0};
  std::atomic<bool> fail_place{false};
  std::atomic<bool> fail_remove{false};
};

// Parameter: the backend's name (testing_support::kMetaBackends).
class MetaStoreContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!backend_.available()) GTEST_SKIP() << backend_.why_unavailable();
  }

  int64_t make_tenant(const std::string& name) {
    Tenant t;
    t.name = name;
    t.access_key = "AK" + name;
    t.secret_key = "SK" + name;
    EXPECT_TRUE(meta_.create_tenant(t));
    return t.id;
  }
  int64_t make_bucket(int64_t tenant, const std::string& name) {
    EXPECT_EQ(meta_.create_bucket(tenant, name), CreateBucketResult::kCreated);
    auto b = meta_.bucket_by_name(name);
    EXPECT_TRUE(b.has_value());
    return b ? b->id : -1;
  }

  ObjectRecord record(int64_t bucket, const std::string& key, const std::string& bytes) {
    ObjectRecord o;
    o.bucket_id = bucket;
    o.key = key;
    o.sha256 = sha256(bytes);
    o.size = static_cast<int64_t>(bytes.size());
    o.etag = to_hex(md5(bytes));
    o.modified_ms = 1700000000000;
    return o;
  }

  // Commits (bucket, key) = bytes the way Pool::put does (blob placements are counted).
  PutOutcome put(int64_t bucket, const std::string& key, const std::string& bytes, ObjectMeta m = {}) {
    auto temp = blobs_.create_temp();
    temp->write(bytes.data(), bytes.size());
    ObjectRecord o = record(bucket, key, bytes);
    o.meta = std::move(m);
    return commits_.commit_one(o, *temp, md5(bytes));
  }
  bool remove(int64_t bucket, const std::string& key) { return commits_.remove(bucket, key); }
  // Blobs GC may take (ignoring abandoned placements).
  std::vector<std::string> candidates(int64_t zero_cutoff, size_t limit) {
    std::vector<std::string> out;
    for (const auto& b : meta_.gc_candidates(zero_cutoff, 0, 0, limit)) out.push_back(b.sha256);
    return out;
  }

  // refcount per blob row.
  std::map<std::string, int64_t> blob_refcounts() {
    std::map<std::string, int64_t> out;
    for (const auto& b : meta_.list_blobs("", 100000)) out[b.sha256] = b.refcount;
    return out;
  }
  // Every blob's refcount equals the number of objects referencing it (the store's own count,
  // check_refcount without repair), and every object's blob has a row.
  void expect_refcounts_consistent() {
    EXPECT_TRUE(meta_.dangling_blob_references().empty());
    for (const auto& b : meta_.list_blobs("", 100000)) {
      auto differs = meta_.check_refcount(b.sha256, false);
      EXPECT_FALSE(differs.has_value()) << to_hex(b.sha256) << ": stored " << differs->first << ", referenced by "
                                        << differs->second;
    }
  }

  size_t blob_files() { return count_files(dir_.path() + "/blobs"); }

  ScratchDir dir_;
  testing_support::MetaBackend backend_{GetParam(), dir_.path()};
  std::unique_ptr<MetaStore> store_ = backend_.open();
  MetaStore& meta_ = *store_;
  CountingBlobStore blobs_{dir_.path()};
  ObjectCommits commits_{meta_, blobs_};
  Pool pool_{meta_, blobs_};
  const std::atomic<int>& places_ = blobs_.placed;
};

// --- tenants

TEST_P(MetaStoreContract, TenantsAreUniqueByNameAndAccessKey) {
  Tenant a;
  a.name = "alice";
  a.access_key = "AKIAALICE";
  a.secret_key = "secret";
  const int64_t before = now_ms();
  ASSERT_TRUE(meta_.create_tenant(a));
  EXPECT_GT(a.id, 0);
  EXPECT_GE(a.created_ms, before);
  EXPECT_LE(a.created_ms, now_ms());

  Tenant same_name{0, "alice", "AKIAOTHER", "s", 0};
  EXPECT_FALSE(meta_.create_tenant(same_name));
  Tenant same_key{0, "bob", "AKIAALICE", "s", 0};
  EXPECT_FALSE(meta_.create_tenant(same_key));
  Tenant bob{0, "bob", "AKIABOB", "s2", 0};
  ASSERT_TRUE(meta_.create_tenant(bob));
  EXPECT_NE(bob.id, a.id);

  auto by_key = meta_.tenant_by_access_key("AKIAALICE");
  ASSERT_TRUE(by_key.has_value());
  EXPECT_EQ(by_key->id, a.id);
  EXPECT_EQ(by_key->name, "alice");
  EXPECT_EQ(by_key->secret_key, "secret");
  EXPECT_EQ(by_key->created_ms, a.created_ms);
  EXPECT_EQ(meta_.tenant_by_name("bob")->access_key, "AKIABOB");
  EXPECT_FALSE(meta_.tenant_by_name("carol").has_value());
  EXPECT_FALSE(meta_.tenant_by_access_key("AKIANOBODY").has_value());

  auto all = meta_.list_tenants();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "alice");
  EXPECT_EQ(all[1].name, "bob");
}

// --- buckets

TEST_P(MetaStoreContract, LookupsByNamesNoRowCanHoldFindNothing) {
  // Access keys come from request headers: invalid UTF-8 or a NUL must find nothing, not fail
  // (nor, with a NUL, find "AKt" by its prefix).
  make_tenant("t");
  using namespace std::string_literals;
  EXPECT_FALSE(meta_.tenant_by_access_key("AKt\0junk"s).has_value());
  EXPECT_FALSE(meta_.tenant_by_access_key("AK\xc3").has_value());
  EXPECT_FALSE(meta_.tenant_by_name("t\xff").has_value());
  EXPECT_FALSE(meta_.bucket_by_name("b\xc3\x28").has_value());
  EXPECT_TRUE(meta_.tenant_by_access_key("AKt").has_value());
}

TEST_P(MetaStoreContract, CreateBucketReportsOwnership) {
  int64_t alice = make_tenant("alice"), bob = make_tenant("bob");
  EXPECT_EQ(meta_.create_bucket(alice, "shared-name"), CreateBucketResult::kCreated);
  EXPECT_EQ(meta_.create_bucket(alice, "shared-name"), CreateBucketResult::kOwnedByYou);
  EXPECT_EQ(meta_.create_bucket(bob, "shared-name"), CreateBucketResult::kTakenByOther);
  EXPECT_EQ(meta_.create_bucket(bob, "bobs"), CreateBucketResult::kCreated);
  EXPECT_EQ(meta_.create_bucket(alice, "another"), CreateBucketResult::kCreated);

  auto b = meta_.bucket_by_name("shared-name");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->tenant_id, alice);
  EXPECT_GT(b->created_ms, 0);
  EXPECT_FALSE(meta_.bucket_by_name("missing").has_value());

  auto alices = meta_.list_buckets(alice);
  ASSERT_EQ(alices.size(), 2u);
  EXPECT_EQ(alices[0].name, "another");
  EXPECT_EQ(alices[1].name, "shared-name");
  EXPECT_EQ(meta_.count_buckets(alice), 2);
  EXPECT_EQ(meta_.count_buckets(bob), 1);
  EXPECT_EQ(meta_.count_buckets(9999), 0);
}

TEST_P(MetaStoreContract, DeleteBucketOnlyWhenEmpty) {
  int64_t t = make_tenant("t");
  int64_t b = make_bucket(t, "bucket");
  put(b, "k", "data");
  EXPECT_FALSE(meta_.delete_bucket(b));
  EXPECT_TRUE(meta_.bucket_by_name("bucket").has_value());
  EXPECT_TRUE(remove(b, "k"));
  EXPECT_TRUE(meta_.delete_bucket(b));
  EXPECT_FALSE(meta_.bucket_by_name("bucket").has_value());
  EXPECT_EQ(meta_.count_buckets(t), 0);
  // The name is free again, for anyone.
  int64_t other = make_tenant("other");
  EXPECT_EQ(meta_.create_bucket(other, "bucket"), CreateBucketResult::kCreated);
}

TEST_P(MetaStoreContract, PutIntoAMissingBucketThrowsAndChangesNothing) {
  int64_t t = make_tenant("t");
  int64_t b = make_bucket(t, "bucket");
  ASSERT_TRUE(meta_.delete_bucket(b));
  EXPECT_THROW(put(b, "k", "data"), NoSuchBucketError);
  EXPECT_EQ(places_, 0);
  auto st = meta_.stats();
  EXPECT_EQ(st.objects, 0);
  EXPECT_EQ(st.blobs, 0);
  EXPECT_EQ(blob_files(), 0u);
}

// --- deduplication and reference counts

TEST_P(MetaStoreContract, SameBytesUnderTwoTenantsAreStoredOnce) {
  int64_t alice = make_tenant("alice"), bob = make_tenant("bob");
  int64_t ba = make_bucket(alice, "alice-bucket"), bb = make_bucket(bob, "bob-bucket");
  const std::string bytes(4096, 'q');

  EXPECT_FALSE(put(ba, "photo.jpg", bytes).deduplicated);
  EXPECT_EQ(places_, 1);
  EXPECT_TRUE(put(bb, "copy/of/photo.jpg", bytes).deduplicated);
  EXPECT_EQ(places_, 1);  // no bytes placed for the duplicate

  auto st = meta_.stats();
  EXPECT_EQ(st.tenants, 2);
  EXPECT_EQ(st.buckets, 2);
  EXPECT_EQ(st.objects, 2);
  EXPECT_EQ(st.blobs, 1);
  EXPECT_EQ(st.physical_bytes, 4096);
  EXPECT_EQ(st.logical_bytes, 2 * 4096);
  EXPECT_EQ(st.reclaimable_blobs, 0);
  EXPECT_EQ(blob_files(), 1u);
  EXPECT_EQ(count_files(dir_.path() + "/tmp"), 0u);
  EXPECT_EQ(blob_refcounts()[sha256(bytes)], 2);
  EXPECT_TRUE(meta_.blob_is_live(sha256(bytes)));
  expect_refcounts_consistent();

  // Both objects point at the one blob.
  EXPECT_EQ(meta_.get_object(ba, "photo.jpg")->sha256, sha256(bytes));
  EXPECT_EQ(meta_.get_object(bb, "copy/of/photo.jpg")->sha256, sha256(bytes));
  auto reader = blobs_.open(sha256(bytes));
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(read_all(*reader), bytes);
}

TEST_P(MetaStoreContract, OverwriteWithDifferentBytesReleasesTheOldBlob) {
  int64_t b = make_bucket(make_tenant("t"), "bucket");
  put(b, "k", "old bytes");
  EXPECT_FALSE(put(b, "k", "new bytes!").deduplicated);
  auto st = meta_.stats();
  EXPECT_EQ(st.objects, 1);
  EXPECT_EQ(st.blobs, 2);
  EXPECT_EQ(st.reclaimable_blobs, 1);
  EXPECT_EQ(st.reclaimable_bytes, 9);
  EXPECT_EQ(st.logical_bytes, 10);
  EXPECT_EQ(st.physical_bytes, 19);
  EXPECT_FALSE(meta_.blob_is_live(sha256("old bytes")));
  EXPECT_TRUE(meta_.blob_is_live(sha256("new bytes!")));
  EXPECT_EQ(meta_.get_object(b, "k")->sha256, sha256("new bytes!"));
  auto rc = blob_refcounts();
  EXPECT_EQ(rc[sha256("old bytes")], 0);
  EXPECT_EQ(rc[sha256("new bytes!")], 1);
  EXPECT_EQ(candidates(now_ms(), 10), std::vector<std::string>{sha256("old bytes")});
  expect_refcounts_consistent();
}

TEST_P(MetaStoreContract, OverwriteWithIdenticalBytesKeepsOneReference) {
  int64_t b = make_bucket(make_tenant("t"), "bucket");
  put(b, "k", "same");
  EXPECT_TRUE(put(b, "k", "same").deduplicated);
  EXPECT_EQ(places_, 1);
  auto st = meta_.stats();
  EXPECT_EQ(st.objects, 1);
  EXPECT_EQ(st.blobs, 1);
  EXPECT_EQ(st.reclaimable_blobs, 0);
  EXPECT_EQ(blob_refcounts()[sha256("same")], 1);
  EXPECT_TRUE(candidates(now_ms() + 1000, 10).empty());
  expect_refcounts_consistent();
}

TEST_P(MetaStoreContract, DeleteReleasesTheReference) {
  int64_t b = make_bucket(make_tenant("t"), "bucket");
  put(b, "k1", "shared");
  put(b, "k2", "shared");
  EXPECT_TRUE(remove(b, "k1"));
  EXPECT_TRUE(meta_.blob_is_live(sha256("shared")));
  EXPECT_EQ(meta_.stats().reclaimable_blobs, 0);
  EXPECT_TRUE(remove(b, "k2"));
  EXPECT_FALSE(meta_.blob_is_live(sha256("shared")));
  auto st = meta_.stats();
  EXPECT_EQ(st.objects, 0);
  EXPECT_EQ(st.blobs, 1);
  EXPECT_EQ(st.reclaimable_blobs, 1);
  EXPECT_EQ(st.reclaimable_bytes, 6);
  EXPECT_FALSE(meta_.get_object(b, "k1").has_value());
  // Missing keys.
  EXPECT_FALSE(remove(b, "k1"));
  EXPECT_FALSE(remove(b, "never"));
  EXPECT_FALSE(remove(b + 100, "k1"));
  EXPECT_EQ(blob_refcounts()[sha256("shared")], 0);  // not driven negative
  expect_refcounts_consistent();
}

TEST_P(MetaStoreContract, ZeroReferenceBlobIsPlacedAgainOnPut) {
  // A blob at refcount 0 may have lost its bytes (GC mid-way, or a crash between removing the
  // bytes and committing): a new put must place them again rather than deduplicate.
  int64_t b = make_bucket(make_tenant("t"), "bucket");
  put(b, "k", "payload");
  ASSERT_TRUE(remove(b, "k"));
  blobs_.remove(sha256("payload"));  // bytes gone, row still there at zero
  ASSERT_EQ(blobs_.open(sha256("payload")), nullptr);
  EXPECT_FALSE(put(b, "k2", "payload").deduplicated);
  EXPECT_EQ(places_, 2);
  auto reader = blobs_.open(sha256("payload"));
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(read_all(*reader), "payload");
  EXPECT_EQ(blob_refcounts()[sha256("payload")], 1);
  EXPECT_TRUE(candidates(now_ms() + 1000, 10).empty());
  EXPECT_EQ(meta_.stats().blobs, 1);
}

TEST_P(MetaStoreContract, FailedPlacementAbortsTheCommit) {
  int64_t b = make_bucket(make_tenant("t"), "bucket");
  put(b, "k", "old");
  blobs_.fail_place = true;
  EXPECT_THROW(put(b, "k", "replacement"), std::runtime_error);
  blobs_.fail_place = false;
  auto kept = meta_.get_object(b, "k");
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->sha256, sha256("old"));
  auto st = meta_.stats();
  EXPECT_EQ(st.blobs, 1);
  EXPECT_EQ(st.reclaimable_blobs, 0);
  EXPECT_FALSE(meta_.blob_is_live(sha256("replacement")));
  expect_refcounts_consistent();
  // The store still works afterwards (no transaction left open).
  EXPECT_FALSE(put(b, "k", "replacement").deduplicated);
  EXPECT_EQ(meta_.get_object(b, "k")->sha256, sha256("replacement"));
}

TEST_P(MetaStoreContract, DeleteTenantReleasesEveryReference) {
  int64_t alice = make_tenant("alice"), bob = make_tenant("bob");
  int64_t a1 = make_bucket(alice, "a-one"), a2 = make_bucket(alice, "a-two"), b1 = make_bucket(bob, "b-one");
  put(a1, "x1", "X");
  put(a1, "x2", "X");
  put(a2, "y", "YY");
  put(a2, "x3", "X");
  put(b1, "x", "X");
  ASSERT_EQ(blob_refcounts()[sha256("X")], 4);

  commits_.remove_tenant(alice);
  EXPECT_FALSE(meta_.tenant_by_name("alice").has_value());
  EXPECT_FALSE(meta_.bucket_by_name("a-one").has_value());
  EXPECT_FALSE(meta_.bucket_by_name("a-two").has_value());
  EXPECT_EQ(meta_.count_buckets(alice), 0);
  EXPECT_FALSE(meta_.get_object(a1, "x1").has_value());

  auto rc = blob_refcounts();
  EXPECT_EQ(rc[sha256("X")], 1);  // bob's object still holds it
  EXPECT_EQ(rc[sha256("YY")], 0);
  auto st = meta_.stats();
  EXPECT_EQ(st.tenants, 1);
  EXPECT_EQ(st.buckets, 1);
  EXPECT_EQ(st.objects, 1);
  EXPECT_EQ(st.reclaimable_blobs, 1);
  EXPECT_EQ(st.reclaimable_bytes, 2);
  EXPECT_EQ(meta_.get_object(b1, "x")->sha256, sha256("X"));
  expect_refcounts_consistent();
  // The names are free again.
  EXPECT_EQ(meta_.create_bucket(bob, "a-one"), CreateBucketResult::kCreated);
  Tenant again{0, "alice", "AKalice", "s", 0};
  EXPECT_TRUE(meta_.create_tenant(again));
}

// --- garbage collection primitives

TEST_P(MetaStoreContract, GcCandidatesRespectTheCutoff) {
  int64_t b = make_bucket(make_tenant("t"), "bucket");
  put(b, "k", "garbage");
  put(b, "live", "kept");
  const int64_t before_delete = now_ms() - 1;
  ASSERT_TRUE(remove(b, "k"));
  const std::string sha = sha256("garbage");

  EXPECT_TRUE(candidates(before_delete - 60000, 10).empty());
  EXPECT_EQ(candidates(now_ms(), 10), std::vector<std::string>{sha});
  EXPECT_TRUE(candidates(now_ms(), 0).empty());

  EXPECT_EQ(pool_.gc(60000).blobs_removed, 0);  // within the grace period
  EXPECT_NE(blobs_.open(sha), nullptr);
  auto report = pool_.gc(0);
  EXPECT_EQ(report.blobs_removed, 1);
  EXPECT_EQ(report.bytes_freed, 7);
  EXPECT_EQ(blobs_.open(sha), nullptr);
  EXPECT_NE(blobs_.open(sha256("kept")), nullptr);
  auto st = meta_.stats();
  EXPECT_EQ(st.blobs, 1);
  EXPECT_EQ(st.reclaimable_blobs, 0);
  EXPECT_EQ(pool_.gc(0).blobs_removed, 0);  // already gone
}

TEST_P(MetaStoreContract, GcSkipsABlobReferencedAgain) {
  int64_t b = make_bucket(make_tenant("t"), "bucket");
  put(b, "k", "bytes");
  ASSERT_TRUE(remove(b, "k"));
  ASSERT_EQ(candidates(now_ms(), 10).size(), 1u);
  put(b, "k2", "bytes");  // referenced again between listing and collection
  EXPECT_EQ(pool_.gc(0).blobs_removed, 0);
  EXPECT_NE(blobs_.open(sha256("bytes")), nullptr);
  EXPECT_EQ(blob_refcounts()[sha256("bytes")], 1);
}

TEST_P(MetaStoreContract, AFailedRemovalLeavesTheBlobClaimedAndAnUploadWaitsForIt) {
  int64_t b = make_bucket(make_tenant("t"), "bucket");
  put(b, "k", "bytes");
  ASSERT_TRUE(remove(b, "k"));
  blobs_.fail_remove = true;
  EXPECT_EQ(pool_.gc(0).blobs_removed, 0);
  auto row = meta_.get_blob(sha256("bytes"));
  ASSERT_TRUE(row);
  EXPECT_EQ(row->state, BlobState::kDeleting);  // claimed: retried by the next pass
  EXPECT_EQ(row->state_ms, 0) << "the failed pass released its claim";
  EXPECT_EQ(meta_.stats().reclaimable_blobs, 1);
  EXPECT_EQ(candidates(0, 10).size(), 1u);  // whatever the cutoff

  // An upload of the same bytes now waits for the deletion, then places its bytes anew.
  std::thread upload([&] { put(b, "again", "bytes"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(meta_.get_object(b, "again"));
  blobs_.fail_remove = false;
  EXPECT_EQ(pool_.gc(0).blobs_removed, 1);
  upload.join();
  auto reader = blobs_.open(sha256("bytes"));
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(read_all(*reader), "bytes");
  EXPECT_EQ(blob_refcounts()[sha256("bytes")], 1);
  EXPECT_EQ(meta_.get_blob(sha256("bytes"))->state, BlobState::kLive);
  expect_refcounts_consistent();
}

TEST_P(MetaStoreContract, AnAbandonedPlacementIsCollectedAfterThePendingTimeout) {
  int64_t b = make_bucket(make_tenant("t"), "bucket");
  const std::string sha = sha256("orphan");
  {
    auto txn = meta_.write(false);
    txn->insert_pending_blob(sha, 6, now_ms() - 2 * 3600 * 1000);  // a placer that crashed 2 h ago
    txn->commit();
  }
  auto temp = blobs_.create_temp();
  temp->write("orphan", 6);
  blobs_.place(*temp, sha);  // its bytes made it to disk
  EXPECT_EQ(meta_.stats().blobs, 0);  // pending rows are no stored blobs
  auto report = pool_.gc(3600 * 1000);
  EXPECT_EQ(report.blobs_removed, 0);
  EXPECT_FALSE(meta_.get_blob(sha));
  EXPECT_EQ(blobs_.open(sha), nullptr);
  // A fresh pending row is left alone.
  {
    auto txn = meta_.write(false);
    txn->insert_pending_blob(sha, 6, now_ms());
    txn->commit();
  }
  pool_.gc(0);
  ASSERT_TRUE(meta_.get_blob(sha));
  EXPECT_EQ(meta_.get_blob(sha)->state, BlobState::kPending);
  put(b, "k", "orphan");  // and an upload of those bytes completes the row
  EXPECT_EQ(meta_.get_blob(sha)->state, BlobState::kLive);
  expect_refcounts_consistent();
}

TEST_P(MetaStoreContract, AClaimOfAnotherLivePassIsLeftAloneUntilItsLeaseEnds) {
  // Another GC pass (on another node) claimed the blob a moment ago and is deleting it.
  int64_t b = make_bucket(make_tenant("t"), "bucket");
  put(b, "k", "bytes");
  ASSERT_TRUE(remove(b, "k"));
  const std::string sha = sha256("bytes");
  auto claim = [&](int64_t at) {
    auto txn = meta_.write(true);
    txn->lock_blob(sha);
    txn->set_blob_state(sha, BlobState::kDeleting, at);
    txn->commit();
  };
  constexpr int64_t kLease = 10 * 60 * 1000;  // passes may run side by side (several nodes)
  claim(now_ms());
  EXPECT_EQ(pool_.gc(0, kLease).blobs_removed, 0);
  EXPECT_NE(blobs_.open(sha), nullptr) << "the other pass's claim is not taken over";
  EXPECT_EQ(meta_.get_blob(sha)->state, BlobState::kDeleting);
  // That pass died 11 minutes ago: its claim is taken over and the blob collected.
  claim(now_ms() - 11 * 60 * 1000);
  EXPECT_EQ(pool_.gc(0, kLease).blobs_removed, 1);
  EXPECT_FALSE(meta_.get_blob(sha));
  EXPECT_EQ(blobs_.open(sha), nullptr);
}

TEST_P(MetaStoreContract, AnotherProcessSeesCommittedChangesWhenTheStoreIsShared) {
  std::vector<MetaChange> seen;
  std::mutex mu;
  auto watch = meta_.watch_changes([&](const MetaChange& c) {
    std::lock_guard lock(mu);
    seen.push_back(c);
  });
  if (GetParam() == "sqlite") {
    EXPECT_EQ(watch, nullptr) << "one server per SQLite database: nothing to watch";
    return;
  }
  ASSERT_NE(watch, nullptr);
  auto other_meta = backend_.open();  // another node's connection to the same database
  ObjectCommits other(*other_meta, blobs_);
  int64_t b = make_bucket(make_tenant("t"), "bucket");
  auto temp = blobs_.create_temp();
  temp->write("x", 1);
  other.commit_one(record(b, std::string("k\0ey", 4), "x"), *temp, md5("x"));
  other_meta->set_bucket_acl(b, "public-read");
  auto has = [&](MetaChange::Kind kind, const std::string& key) {
    std::lock_guard lock(mu);
    for (const auto& c : seen)
      if (c.kind == kind && c.bucket_id == b && c.key == key) return true;
    return false;
  };
  for (int i = 0; i < 100 && !(has(MetaChange::Kind::kObject, std::string("k\0ey", 4)) &&
                               has(MetaChange::Kind::kBucket, "")); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(has(MetaChange::Kind::kObject, std::string("k\0ey", 4)));
  EXPECT_TRUE(has(MetaChange::Kind::kBucket, ""));
}

// --- listing

class MetaStoreListContract : public MetaStoreContract {
 protected:
  void SetUp() override {
    MetaStoreContract::SetUp();
    if (IsSkipped()) return;
    bucket_ = make_bucket(make_tenant("t"), "bucket");
    other_ = make_bucket(make_tenant("u"), "other");
    for (const char* k : keys_) put(bucket_, k, std::string("v:") + k);
    put(other_, "a", "other a");
    put(other_, "a/b", "other a/b");
  }
  std::vector<std::string> list(const std::string& after, bool inclusive, const std::string& prefix, size_t limit,
                                int64_t bucket = 0) {
    std::vector<std::string> out;
    for (const auto& s : meta_.list_objects(bucket ? bucket : bucket_, after, inclusive, prefix, limit))
      out.push_back(s.key);
    return out;
  }
  using V = std::vector<std::string>;

  // Inserted out of order; bytewise order is a < a%y < a/ < a/b < a0 < a_x < b < z~ < é < 日本 < U+10FFFF.
  // (Keys are valid UTF-8 without NUL: the S3 layer admits no others.)
  static constexpr const char* keys_[] = {"b", "a0", "a/", "\xe6\x97\xa5\xe6\x9c\xac", "a", "a/b", "z~",
                                          "\xc3\xa9", "a_x", "a%y", "\xf4\x8f\xbf\xbf"};
  int64_t bucket_ = 0, other_ = 0;
};

TEST_P(MetaStoreListContract, KeysCompareBytewise) {
  EXPECT_EQ(list("", false, "", 100), (V{"a", "a%y", "a/", "a/b", "a0", "a_x", "b", "z~", "\xc3\xa9",
                                         "\xe6\x97\xa5\xe6\x9c\xac", "\xf4\x8f\xbf\xbf"}));
}

TEST_P(MetaStoreListContract, AfterIsExclusiveUnlessInclusive) {
  EXPECT_EQ(list("a", false, "", 3), (V{"a%y", "a/", "a/b"}));
  EXPECT_EQ(list("a", true, "", 3), (V{"a", "a%y", "a/"}));
  EXPECT_EQ(list("a/", false, "", 2), (V{"a/b", "a0"}));
  EXPECT_EQ(list("a/", true, "", 2), (V{"a/", "a/b"}));
  EXPECT_EQ(list("a/a", false, "", 2), (V{"a/b", "a0"}));  // after a key that does not exist
  EXPECT_EQ(list("a/a", true, "", 2), (V{"a/b", "a0"}));
  EXPECT_EQ(list("z~", false, "", 100), (V{"\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac", "\xf4\x8f\xbf\xbf"}));
  EXPECT_EQ(list("\xf4\x8f\xbf\xbf", false, "", 100), V{});
  EXPECT_EQ(list("\xf4\x8f\xbf\xbf", true, "", 100), V{"\xf4\x8f\xbf\xbf"});
}

TEST_P(MetaStoreListContract, PrefixSelectsExactlyTheKeysStartingWithIt) {
  EXPECT_EQ(list("", false, "a/", 100), (V{"a/", "a/b"}));
  EXPECT_EQ(list("", false, "a", 100), (V{"a", "a%y", "a/", "a/b", "a0", "a_x"}));
  EXPECT_EQ(list("", false, "a_", 100), V{"a_x"});  // not a LIKE wildcard
  EXPECT_EQ(list("", false, "a%", 100), V{"a%y"});
  EXPECT_EQ(list("", false, "\xc3", 100), V{"\xc3\xa9"});
  EXPECT_EQ(list("", false, "\xf4\x8f\xbf\xbf", 100), V{"\xf4\x8f\xbf\xbf"});
  EXPECT_EQ(list("", false, "c", 100), V{});
  EXPECT_EQ(list("", false, "a/b/", 100), V{});
  EXPECT_EQ(list("", false, "a/b", 100), V{"a/b"});
}

TEST_P(MetaStoreListContract, AfterAndPrefixCombine) {
  EXPECT_EQ(list("a/", false, "a/", 100), V{"a/b"});
  EXPECT_EQ(list("a/", true, "a/", 100), (V{"a/", "a/b"}));
  EXPECT_EQ(list("", false, "b", 100), V{"b"});     // after below the prefix range
  EXPECT_EQ(list("0", true, "a/", 100), (V{"a/", "a/b"}));
  EXPECT_EQ(list("c", false, "a", 100), V{});       // after above the prefix range
  EXPECT_EQ(list("a/b", false, "a/", 100), V{});
  EXPECT_EQ(list("a/b", true, "a/", 100), V{"a/b"});
}

TEST_P(MetaStoreListContract, LimitBoundsTheResult) {
  EXPECT_EQ(list("", false, "", 0), V{});
  EXPECT_EQ(list("", false, "", 1), V{"a"});
  EXPECT_EQ(list("", false, "a", 2), (V{"a", "a%y"}));
  EXPECT_EQ(list("", false, "", 11).size(), 11u);
  EXPECT_EQ(list("", false, "", 1000).size(), 11u);
}

TEST_P(MetaStoreListContract, BucketsAreSeparate) {
  EXPECT_EQ(list("", false, "", 100, other_), (V{"a", "a/b"}));
  EXPECT_EQ(list("", false, "", 100, 999999), V{});
}

TEST_P(MetaStoreListContract, SummariesCarrySizeEtagAndTime) {
  auto rows = meta_.list_objects(bucket_, "", false, "a/b", 10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].key, "a/b");
  EXPECT_EQ(rows[0].size, 5);
  EXPECT_EQ(rows[0].etag, to_hex(md5("v:a/b")));
  EXPECT_EQ(rows[0].modified_ms, 1700000000000);
}

// --- metadata

TEST_P(MetaStoreContract, EveryObjectFieldRoundTrips) {
  int64_t b = make_bucket(make_tenant("t"), "bucket");
  const std::string bytes = "hello, metadata";
  ObjectRecord o = record(b, "dir/\xc3\xa9t\xc3\xa9 file.txt", bytes);
  o.etag = "0123456789abcdef0123456789abcdef-2";
  o.modified_ms = 1712345678901;
  o.meta.content_type = "text/plain; charset=utf-8";
  o.meta.cache_control = "max-age=3600, must-revalidate";
  o.meta.content_disposition = "attachment; filename=\"r\xc3\xa9sum\xc3\xa9.txt\"";
  o.meta.content_encoding = "gzip";
  o.meta.expires = "Wed, 02 Jan 2030 03:04:05 GMT";
  o.meta.user_meta = {{"color", "blue"},
                      {"note", "quotes \" and \\ backslash, [json] {chars}"},
                      {"empty", ""},
                      {"unicode", "\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"},
                      {"a-first", "order is kept"}};
  o.meta.acl = "public-read";
  o.meta.checksum_algorithm = "CRC32";
  o.meta.checksum = "AAAAAA==";
  auto temp = blobs_.create_temp();
  temp->write(bytes.data(), bytes.size());
  commits_.commit_one(o, *temp, std::string());

  auto got = meta_.get_object(b, o.key);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->bucket_id, b);
  EXPECT_EQ(got->key, o.key);
  EXPECT_EQ(got->sha256, o.sha256);
  EXPECT_EQ(got->size, static_cast<int64_t>(bytes.size()));
  EXPECT_EQ(got->etag, o.etag);
  EXPECT_EQ(got->modified_ms, o.modified_ms);
  EXPECT_EQ(got->meta.content_type, o.meta.content_type);
  EXPECT_EQ(got->meta.cache_control, o.meta.cache_control);
  EXPECT_EQ(got->meta.content_disposition, o.meta.content_disposition);
  EXPECT_EQ(got->meta.content_encoding, o.meta.content_encoding);
  EXPECT_EQ(got->meta.expires, o.meta.expires);
  EXPECT_EQ(got->meta.user_meta, o.meta.user_meta);
  EXPECT_EQ(got->meta.acl, o.meta.acl);
  EXPECT_EQ(got->meta.checksum_algorithm, o.meta.checksum_algorithm);
  EXPECT_EQ(got->meta.checksum, o.meta.checksum);

  EXPECT_FALSE(meta_.get_object(b, "dir/").has_value());
  EXPECT_FALSE(meta_.get_object(b + 1, o.key).has_value());
}

TEST_P(MetaStoreContract, OverwriteReplacesTheMetadataEntirely) {
  int64_t b = make_bucket(make_tenant("t"), "bucket");
  ObjectMeta first;
  first.content_type = "image/png";
  first.user_meta = {{"a", "1"}, {"b", "2"}};
  first.acl = "public-read";
  put(b, "k", "same bytes", first);
  ObjectMeta second;
  second.user_meta = {{"c", "3"}};
  put(b, "k", "same bytes", second);
  auto got = meta_.get_object(b, "k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->meta.content_type, "");
  EXPECT_EQ(got->meta.user_meta, (std::vector<std::pair<std::string, std::string>>{{"c", "3"}}));
  EXPECT_EQ(got->meta.acl, "private");
}

TEST_P(MetaStoreContract, DefaultMetadataRoundTrips) {
  int64_t b = make_bucket(make_tenant("t"), "bucket");
  put(b, "empty", "");
  auto got = meta_.get_object(b, "empty");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->size, 0);
  EXPECT_EQ(got->sha256, sha256(""));
  EXPECT_TRUE(got->meta.user_meta.empty());
  EXPECT_EQ(got->meta.acl, "private");
  EXPECT_EQ(got->meta.content_type, "");
  EXPECT_EQ(got->meta.expires, "");
}

TEST_P(MetaStoreContract, UploadMetadataKeepsExpires) {
  ObjectMeta m;
  m.expires = "Thu, 01 Dec 1994 16:00:00 GMT";
  m.cache_control = "no-cache";
  ObjectMeta back = decode_object_meta(encode_object_meta(m));
  EXPECT_EQ(back.expires, m.expires);
  EXPECT_EQ(back.cache_control, m.cache_control);
  EXPECT_EQ(decode_object_meta("{}").expires, "");
}

TEST_P(MetaStoreContract, TenantsAreFoundById) {
  int64_t alice = make_tenant("alice");
  int64_t bob = make_tenant("bob");
  EXPECT_EQ(meta_.tenant_by_id(alice)->name, "alice");
  EXPECT_EQ(meta_.tenant_by_id(bob)->access_key, "AKbob");
  EXPECT_FALSE(meta_.tenant_by_id(bob + 100).has_value());
}

// S3: a bucket's ACL never makes its objects readable; only an object's own ACL does.
TEST_P(MetaStoreContract, PublicObjectForBlobFollowsTheObjectAclOnly) {
  int64_t t = make_tenant("t");
  int64_t open_bucket = make_bucket(t, "open"), closed_bucket = make_bucket(t, "closed");
  meta_.set_bucket_acl(open_bucket, "public-read");
  put(open_bucket, "private-in-public-bucket", "shared bytes");
  EXPECT_FALSE(meta_.public_object_for_blob(sha256("shared bytes")).has_value());
  ObjectMeta pub;
  pub.acl = "public-read-write";
  put(closed_bucket, "public-in-private-bucket", "shared bytes", pub);
  auto found = meta_.public_object_for_blob(sha256("shared bytes"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->key, "public-in-private-bucket");
  ASSERT_TRUE(meta_.set_object_acl(closed_bucket, "public-in-private-bucket", "private"));
  EXPECT_FALSE(meta_.public_object_for_blob(sha256("shared bytes")).has_value());
}

TEST_P(MetaStoreContract, ABlobRowRecordsTheMd5OfItsBytes) {
  int64_t b = make_bucket(make_tenant("t"), "bucket");
  put(b, "k", "some bytes");
  auto row = meta_.get_blob(sha256("some bytes"));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->md5, md5("some bytes"));
  put(b, "k2", "some bytes");  // a reference adds nothing, changes nothing
  EXPECT_EQ(meta_.get_blob(sha256("some bytes"))->md5, md5("some bytes"));
}

TEST_P(MetaStoreContract, ABlobIsUsableByItsOwnersAndByEveryoneOncePublic) {
  int64_t alice = make_tenant("alice"), bob = make_tenant("bob");
  int64_t ba = make_bucket(alice, "alice-bucket");
  meta_.set_bucket_acl(ba, "public-read");  // a bucket's ACL makes no object public
  put(ba, "k", "alice's bytes");
  const std::string sha = sha256("alice's bytes");
  EXPECT_TRUE(meta_.blob_usable_by(alice, sha));
  EXPECT_FALSE(meta_.blob_usable_by(bob, sha));
  ASSERT_TRUE(meta_.set_object_acl(ba, "k", "public-read"));
  EXPECT_TRUE(meta_.blob_usable_by(bob, sha));
  EXPECT_FALSE(meta_.blob_usable_by(bob, sha256("never stored")));
}

TEST_P(MetaStoreContract, TakenDownBytesAreRefusedUntilLifted) {
  int64_t b = make_bucket(make_tenant("t"), "bucket");
  put(b, "dup", "shared bytes");
  const std::string sha = sha256("shared bytes");
  {
    auto txn = meta_.write(true);
    txn->add_takedown(Takedown{sha, "abuse", 1000});
    txn->append_audit(AuditEntry{1000, "takedown", sha, "abuse"});
    EXPECT_EQ(txn->objects_of_blob(sha), (std::vector<std::pair<int64_t, std::string>>{{b, "dup"}}));
    txn->commit();
  }
  EXPECT_TRUE(meta_.is_taken_down(sha));
  ASSERT_EQ(meta_.list_takedowns().size(), 1u);
  EXPECT_EQ(meta_.list_takedowns()[0].reason, "abuse");
  // With a live reference the bytes need no placing; once none is left they are refused.
  EXPECT_TRUE(put(b, "dup2", "shared bytes").deduplicated);
  ASSERT_TRUE(remove(b, "dup"));
  ASSERT_TRUE(remove(b, "dup2"));
  EXPECT_THROW(put(b, "again", "shared bytes"), TakenDownError);
  EXPECT_FALSE(meta_.get_object(b, "again").has_value());
  {
    auto txn = meta_.write(true);
    EXPECT_TRUE(txn->remove_takedown(sha));
    EXPECT_FALSE(txn->remove_takedown(sha));
    txn->append_audit(AuditEntry{2000, "lift", sha, "appeal"});
    txn->commit();
  }
  EXPECT_FALSE(meta_.is_taken_down(sha));
  EXPECT_FALSE(put(b, "again", "shared bytes").deduplicated);
  auto log = meta_.audit_log(10);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].action, "lift");
  EXPECT_EQ(log[1].detail, "abuse");
  EXPECT_EQ(log[1].sha256, sha);
}

TEST_P(MetaStoreContract, TenantUsageFollowsEveryWriteAndQuotasRefuseGrowth) {
  int64_t alice = make_tenant("alice"), bob = make_tenant("bob");
  int64_t ba = make_bucket(alice, "alice-bucket"), bb = make_bucket(bob, "bob-bucket");
  put(ba, "a", std::string(100, 'a'));
  put(ba, "b", std::string(50, 'b'));
  put(ba, "a", std::string(30, 'c'));  // an overwrite: one object, 70 bytes fewer
  put(bb, "x", std::string(100, 'a'));  // dedup does not change what bob stores
  ASSERT_TRUE(remove(ba, "b"));
  TenantUsage a = meta_.tenant_usage(alice), b = meta_.tenant_usage(bob);
  EXPECT_EQ(a.objects, 1);
  EXPECT_EQ(a.logical_bytes, 30);
  EXPECT_EQ(b.objects, 1);
  EXPECT_EQ(b.logical_bytes, 100);
  EXPECT_FALSE(a.quota_bytes.has_value());

  meta_.set_tenant_quota(alice, 2, 100);
  put(ba, "c", std::string(60, 'd'));                                 // 2 objects, 90 bytes: fits
  EXPECT_THROW(put(ba, "d", std::string(5, 'e')), QuotaExceededError);  // a third object
  EXPECT_THROW(put(ba, "c", std::string(71, 'f')), QuotaExceededError);  // 101 bytes
  EXPECT_FALSE(meta_.get_object(ba, "d").has_value());
  EXPECT_EQ(meta_.get_object(ba, "c")->size, 60);
  put(ba, "c", std::string(10, 'g'));  // shrinking always fits
  a = meta_.tenant_usage(alice);
  EXPECT_EQ(a.objects, 2);
  EXPECT_EQ(a.logical_bytes, 40);
  EXPECT_EQ(a.quota_objects, 2);
  EXPECT_EQ(a.quota_bytes, 100);
  meta_.set_tenant_quota(alice, std::nullopt, std::nullopt);
  put(ba, "d", std::string(5, 'e'));
  EXPECT_EQ(meta_.tenant_usage(alice).objects, 3);
  expect_refcounts_consistent();
}

// A database from before usage was kept has it counted once when opened.
TEST_P(MetaStoreContract, AVersionFiveDatabaseGetsItsUsageCounted) {
  if (GetParam() != "sqlite") GTEST_SKIP() << "an SQLite migration";
  const std::string db_path = dir_.path() + "/herd.db";
  int64_t t = make_tenant("t");
  int64_t b = make_bucket(t, "bucket");
  put(b, "k1", "12345");
  put(b, "k2", "1234567");
  {
    sqlite::Connection c(db_path, 5000);
    c.exec("DROP TABLE tenant_usage");
    c.exec("PRAGMA user_version = 5");
  }
  SqliteMetaStore reopened(db_path);
  TenantUsage u = reopened.tenant_usage(t);
  EXPECT_EQ(u.objects, 2);
  EXPECT_EQ(u.logical_bytes, 12);
}

// A database of schema version 3 (blobs without MD5s) opens as version 4; its old blobs have no
// MD5 until their bytes are placed again.
TEST_P(MetaStoreContract, AVersionThreeDatabaseGainsBlobMd5s) {
  if (GetParam() != "sqlite") GTEST_SKIP() << "an SQLite migration";
  const std::string db_path = dir_.path() + "/herd.db";
  int64_t b = make_bucket(make_tenant("t"), "bucket");
  put(b, "k", "old blob");
  {
    sqlite::Connection c(db_path, 5000);
    c.exec("ALTER TABLE blobs DROP COLUMN md5");
    c.exec("PRAGMA user_version = 3");
  }
  SqliteMetaStore reopened(db_path);
  auto row = reopened.get_blob(sha256("old blob"));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->md5, "");
  EXPECT_EQ(row->refcount, 1);
}

// Version 3 is still unreleased: a database made before the objects' expires column and the
// completed_multiparts table existed gains both when it is opened.
TEST_P(MetaStoreContract, AnEarlierVersionThreeDatabaseGainsExpiresAndCompletions) {
  if (GetParam() != "sqlite") GTEST_SKIP() << "an SQLite migration";
  const std::string db_path = dir_.path() + "/herd.db";
  int64_t b = make_bucket(make_tenant("t"), "bucket");
  put(b, "k", "old object");
  {
    sqlite::Connection c(db_path, 5000);
    c.exec("ALTER TABLE objects DROP COLUMN expires");
    c.exec("DROP TABLE completed_multiparts");
  }
  SqliteMetaStore reopened(db_path);
  auto got = reopened.get_object(b, "k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->meta.expires, "");
  EXPECT_FALSE(reopened.get_completed_multipart("none").has_value());
  EXPECT_EQ(reopened.forget_completed_multiparts(now_ms()), 0);
  SqliteMetaStore again(db_path);  // migrating twice is harmless
  EXPECT_EQ(again.get_object(b, "k")->sha256, sha256("old object"));
}

// --- durability and sharing

TEST_P(MetaStoreContract, ReopeningTheDatabaseKeepsEverything) {
  int64_t t = make_tenant("t");
  int64_t b = make_bucket(t, "bucket");
  put(b, "k", "persisted");
  put(b, "gone", "released");
  ASSERT_TRUE(remove(b, "gone"));
  {
    auto reopened_store = backend_.open();
    MetaStore& reopened = *reopened_store;
    auto got = reopened.get_object(b, "k");
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->sha256, sha256("persisted"));
    auto st = reopened.stats();
    EXPECT_EQ(st.tenants, 1);
    EXPECT_EQ(st.objects, 1);
    EXPECT_EQ(st.blobs, 2);
    EXPECT_EQ(st.reclaimable_blobs, 1);
    EXPECT_EQ(reopened.tenant_by_name("t")->id, t);
  }
}

TEST_P(MetaStoreContract, ConcurrentWritersThroughTwoStoresKeepCountsExact) {
  // Two store instances on one database stand in for the server and the CLI.
  int64_t b = make_bucket(make_tenant("t"), "bucket");
  auto second_store = backend_.open();
  MetaStore& second = *second_store;
  const std::vector<std::string> contents = {"alpha", "beta", "gamma"};
  std::atomic<int> errors{0};
  auto worker = [&](MetaStore& store, int id) {
    try {
      for (int i = 0; i < 30; ++i) {
        const std::string& bytes = contents[(id + i) % contents.size()];
        ObjectRecord o = record(b, "w" + std::to_string(id) + "/" + std::to_string(i % 10), bytes);
        auto temp = blobs_.create_temp();
        temp->write(bytes.data(), bytes.size());
        ObjectCommits commits(store, blobs_);
        commits.commit_one(o, *temp, std::string());
        if (i % 4 == 3) commits.remove(b, "w" + std::to_string(id) + "/" + std::to_string((i + 5) % 10));
      }
    } catch (const std::exception& e) {
      ++errors;
      ADD_FAILURE() << "worker " << id << ": " << e.what();
    }
  };
  std::vector<std::thread> threads;
  for (int id = 0; id < 4; ++id) {
    MetaStore* store = id % 2 ? static_cast<MetaStore*>(&second) : static_cast<MetaStore*>(&meta_);
    threads.emplace_back([&worker, store, id] { worker(*store, id); });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  expect_refcounts_consistent();
  auto st = meta_.stats();
  EXPECT_EQ(st.objects, static_cast<int64_t>(meta_.list_objects(b, "", false, "", 1000).size()));
}

INSTANTIATE_TEST_SUITE_P(Backends, MetaStoreContract, ::testing::ValuesIn(testing_support::kMetaBackends),
                         [](const auto& info) { return info.param; });
INSTANTIATE_TEST_SUITE_P(Backends, MetaStoreListContract, ::testing::ValuesIn(testing_support::kMetaBackends),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace herd

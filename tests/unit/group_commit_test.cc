// Tests for pool/group_commit.h and the batch operations under it (ObjectCommits::commit,
// BlobStore::place_many): concurrent commits form groups, a member failing alone does not fail
// its group, a group that cannot place its bytes commits nothing, and duplicates in one group
// place their bytes once.
#include "pool/group_commit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "blob/disk_blob_store.h"
#include "meta/sqlite_meta_store.h"
#include "util/digest.h"
#include "util/hex.h"
#include "scratch_dir.h"

namespace herd {
namespace {

using testing_support::count_files;
using testing_support::ScratchDir;

// A disk store whose placements can be held back (to let a group queue up) or made to fail.
class GatedBlobStore : public DiskBlobStore {
 public:
  using DiskBlobStore::DiskBlobStore;
  std::vector<BlobLocation> place_many(const std::vector<Placement>& blobs) override {
    {
      std::unique_lock lock(mu_);
      ++calls_;
      placed_ += static_cast<int>(blobs.size());
      cv_.wait(lock, [&] { return open_; });
    }
    if (fail_) throw std::runtime_error("disk full");
    return DiskBlobStore::place_many(blobs);
  }
  void hold() {
    std::lock_guard lock(mu_);
    open_ = false;
  }
  void release() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  int calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  int placed() {
    std::lock_guard lock(mu_);
    return placed_;
  }
  std::atomic<bool> fail_{false};

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true;
  int calls_ = 0;
  int placed_ = 0;
};

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Tenant t{0, "alice", "AKIAALICE", "s", 0};
    ASSERT_TRUE(meta_.create_tenant(t));
    ASSERT_EQ(meta_.create_bucket(t.id, "b"), CreateBucketResult::kCreated);
    bucket_ = meta_.bucket_by_name("b")->id;
  }

  // A temp blob holding `bytes` and the record that commits it as `key`.
  struct Prepared {
    std::unique_ptr<TempBlob> temp;
    ObjectRecord object;
  };
  Prepared prepare(const std::string& key, const std::string& bytes, int64_t bucket = -1) {
    Prepared p{blobs_.create_temp(), {}};
    p.temp->write(bytes.data(), bytes.size());
    p.object.bucket_id = bucket < 0 ? bucket_ : bucket;
    p.object.key = key;
    p.object.sha256 = sha256(bytes);
    p.object.size = static_cast<int64_t>(bytes.size());
    p.object.etag = to_hex(md5(bytes));
    p.object.modified_ms = 1700000000000;
    return p;
  }
  int64_t refcount(const std::string& bytes) {
    auto b = meta_.get_blob(sha256(bytes));
    return b ? b->refcount : -1;
  }
  size_t blob_files() { return count_files(dir_.path() + "/blobs"); }

  ScratchDir dir_;
  SqliteMetaStore meta_{dir_.path() + "/herd.db"};
  GatedBlobStore blobs_{dir_.path()};
  int64_t bucket_ = 0;
};

TEST_F(GroupCommitTest, CommitsQueuedWhileAGroupRunsFormTheNextGroup) {
  GroupCommit group(meta_, blobs_);
  constexpr int kFollowers = 15;
  blobs_.hold();  // the committer takes the first commit alone, then waits inside its placement
  std::vector<Prepared> prepared;
  for (int i = 0; i <= kFollowers; ++i) prepared.push_back(prepare("k" + std::to_string(i), "bytes " + std::to_string(i)));
  std::thread leader([&] { group.commit(prepared[0].object, *prepared[0].temp, std::string()); });
  while (blobs_.calls() == 0) std::this_thread::yield();
  std::vector<std::thread> followers;
  for (int i = 1; i <= kFollowers; ++i)
    followers.emplace_back([&, i] { group.commit(prepared[i].object, *prepared[i].temp, std::string()); });
  while (group.queued() < kFollowers) std::this_thread::yield();
  blobs_.release();
  leader.join();
  for (auto& t : followers) t.join();

  EXPECT_EQ(group.stats().commits, 16u);
  EXPECT_EQ(group.stats().groups, 2u);
  EXPECT_EQ(blobs_.calls(), 2);  // one placement call per group
  for (int i = 0; i <= kFollowers; ++i) {
    auto o = meta_.get_object(bucket_, "k" + std::to_string(i));
    ASSERT_TRUE(o) << i;
    EXPECT_EQ(refcount("bytes " + std::to_string(i)), 1);
  }
  EXPECT_EQ(blob_files(), 16u);
}

TEST_F(GroupCommitTest, DuplicatesInOneGroupPlaceTheBytesOnce) {
  auto a = prepare("a", "same"), b = prepare("b", "same"), c = prepare("c", "other");
  std::vector<PendingPut> puts{{a.object, a.temp.get(), {}, {}, {}, nullptr},
                               {b.object, b.temp.get(), {}, {}, {}, nullptr},
                               {c.object, c.temp.get(), {}, {}, {}, nullptr}};
  ObjectCommits(meta_, blobs_).commit(puts);
  EXPECT_EQ(blobs_.calls(), 1);
  EXPECT_EQ(blobs_.placed(), 2);  // a's bytes and c's
  EXPECT_FALSE(puts[0].outcome.deduplicated);
  EXPECT_TRUE(puts[1].outcome.deduplicated);
  EXPECT_EQ(refcount("same"), 2);
  EXPECT_EQ(refcount("other"), 1);
  EXPECT_EQ(blob_files(), 2u);
}

TEST_F(GroupCommitTest, AMemberFailingAloneLeavesTheOthersCommitted) {
  auto a = prepare("a", "one"), gone = prepare("x", "two", /*bucket=*/987654), c = prepare("c", "three");
  std::vector<PendingPut> puts{{a.object, a.temp.get(), {}, {}, {}, nullptr},
                               {gone.object, gone.temp.get(), {}, {}, {}, nullptr},
                               {c.object, c.temp.get(), {}, {}, {}, nullptr}};
  ObjectCommits(meta_, blobs_).commit(puts);
  EXPECT_EQ(blobs_.placed(), 2);  // nothing placed for the member whose bucket is gone
  EXPECT_FALSE(puts[0].error);
  ASSERT_TRUE(puts[1].error);
  EXPECT_THROW(std::rethrow_exception(puts[1].error), NoSuchBucketError);
  EXPECT_FALSE(puts[2].error);
  EXPECT_TRUE(meta_.get_object(bucket_, "a"));
  EXPECT_TRUE(meta_.get_object(bucket_, "c"));
  EXPECT_FALSE(meta_.get_blob(sha256("two")));  // the failed member left no blob row
}

TEST_F(GroupCommitTest, AGroupThatCannotPlaceItsBytesCommitsNothingAndEachMemberFails) {
  GroupCommit group(meta_, blobs_);
  blobs_.fail_ = true;
  auto a = prepare("a", "alpha");
  EXPECT_THROW(group.commit(a.object, *a.temp, std::string()), std::runtime_error);
  EXPECT_FALSE(meta_.get_object(bucket_, "a"));
  EXPECT_FALSE(meta_.get_blob(sha256("alpha")));
  // Once the disk recovers, the same temp blob commits.
  blobs_.fail_ = false;
  group.commit(a.object, *a.temp, std::string());
  EXPECT_TRUE(meta_.get_object(bucket_, "a"));
  EXPECT_EQ(blob_files(), 1u);
}

TEST_F(GroupCommitTest, SubmitReturnsAtOnceAndCallsBackWhenDone) {
  GroupCommit group(meta_, blobs_);
  blobs_.hold();  // placements wait: a blocking submit would hang here
  auto a = prepare("a", "one"), gone = prepare("x", "two", /*bucket=*/987654);
  std::atomic<int> done{0};
  std::exception_ptr gone_error;
  std::thread::id committer;
  group.submit(a.object, *a.temp, std::string(), [&](PutOutcome outcome, std::exception_ptr error) {
    EXPECT_FALSE(error);
    EXPECT_FALSE(outcome.deduplicated);
    committer = std::this_thread::get_id();
    ++done;
  });
  group.submit(gone.object, *gone.temp, std::string(), [&](PutOutcome, std::exception_ptr error) {
    gone_error = error;
    ++done;
  });
  EXPECT_EQ(done.load(), 0);
  blobs_.release();
  group.drain();
  EXPECT_EQ(done.load(), 2);
  EXPECT_NE(committer, std::this_thread::get_id());
  ASSERT_TRUE(gone_error);
  EXPECT_THROW(std::rethrow_exception(gone_error), NoSuchBucketError);
  EXPECT_TRUE(meta_.get_object(bucket_, "a"));
}

TEST_F(GroupCommitTest, ADuplicateOfALiveBlobPlacesNothing) {
  GroupCommit group(meta_, blobs_);
  auto a = prepare("a", "payload"), b = prepare("b", "payload");
  group.commit(a.object, *a.temp, std::string());
  int calls = blobs_.calls();
  EXPECT_TRUE(group.commit(b.object, *b.temp, std::string()).deduplicated);
  EXPECT_EQ(blobs_.calls(), calls);
  EXPECT_EQ(refcount("payload"), 2);
  EXPECT_EQ(count_files(dir_.path() + "/tmp"), 1u);  // b's temp, dropped by its owner
}

TEST_F(GroupCommitTest, PlacingAPlacedTempBlobAgainOnlySyncs) {
  auto a = prepare("a", "again");
  blobs_.place_many({{a.temp.get(), a.object.sha256}});
  blobs_.place_many({{a.temp.get(), a.object.sha256}});
  EXPECT_EQ(blob_files(), 1u);
  EXPECT_EQ(count_files(dir_.path() + "/tmp"), 0u);
  auto reader = blobs_.open(a.object.sha256);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->size(), 5);
}

}  // namespace
}  // namespace herd

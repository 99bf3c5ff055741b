// Tests for pool/pool.h, pool/upload.h and pool/data_dir.h on a real data directory: one blob
// file per distinct content, reference release on overwrite and delete, garbage collection with a
// grace period, the GC-versus-upload race, crash recovery of missing bytes, and upload limits.
#include "pool/pool.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <latch>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "blob/disk_blob_store.h"
#include "meta/sqlite.h"
#include "app/data_dir.h"
#include "pool/upload.h"
#include "util/clock.h"
#include "util/digest.h"
#include "util/hex.h"
#include "scratch_dir.h"

namespace herd {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using testing_support::count_files;
using testing_support::ScratchDir;

class PoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Tenant a{0, "alice", "AKIAALICE", "s1", 0}, b{0, "bob", "AKIABOB", "s2", 0};
    ASSERT_TRUE(meta().create_tenant(a));
    ASSERT_TRUE(meta().create_tenant(b));
    alice_ = a.id;
    bob_ = b.id;
    ASSERT_EQ(meta().create_bucket(alice_, "alice-bucket"), CreateBucketResult::kCreated);
    ASSERT_EQ(meta().create_bucket(bob_, "bob-bucket"), CreateBucketResult::kCreated);
    ba_ = meta().bucket_by_name("alice-bucket")->id;
    bb_ = meta().bucket_by_name("bob-bucket")->id;
  }

  Pool& pool() { return data_.pool(); }
  MetaStore& meta() { return pool().meta(); }
  DiskBlobStore& disk() { return dynamic_cast<DiskBlobStore&>(pool().blobs()); }
  std::string blobs_dir() const { return dir_.path() + "/data/blobs"; }
  std::string tmp_dir() const { return dir_.path() + "/data/tmp"; }

  ObjectRecord put(int64_t bucket, const std::string& key, const std::string& bytes, ObjectMeta m = {}) {
    auto upload = pool().begin_upload(int64_t{1} << 30);
    // Several appends, as a streamed body arrives.
    for (size_t off = 0; off < bytes.size(); off += 1000)
      upload->append(bytes.data() + off, std::min<size_t>(1000, bytes.size() - off));
    upload->finish();
    return pool().put(*upload, bucket, key, std::move(m));
  }

  // Opens the blob and reads it all; nullopt when its bytes are absent.
  std::optional<std::string> read_blob(const std::string& sha) {
    auto r = pool().blobs().open(sha);
    if (!r) return std::nullopt;
    std::string out(static_cast<size_t>(r->size()), '\0');
    size_t done = 0;
    while (done < out.size()) {
      size_t n = r->read(static_cast<int64_t>(done), out.data() + done, out.size() - done);
      if (n == 0) break;
      done += n;
    }
    out.resize(done);
    return out;
  }

  // The object's bytes are present, of the recorded size, and hash to the recorded SHA-256.
  void expect_object_readable(int64_t bucket, const std::string& key, const std::string* expected = nullptr) {
    auto o = meta().get_object(bucket, key);
    ASSERT_TRUE(o.has_value()) << key;
    auto bytes = read_blob(o->sha256);
    ASSERT_TRUE(bytes.has_value()) << key << ": blob " << to_hex(o->sha256) << " is missing";
    EXPECT_EQ(static_cast<int64_t>(bytes->size()), o->size) << key;
    EXPECT_EQ(sha256(*bytes), o->sha256) << key;
    if (expected) {
      EXPECT_EQ(*bytes, *expected) << key;
    }
  }

  std::map<std::string, int64_t> query_counts(const char* sql) {
    sqlite::Connection c(dir_.path() + "/data/herd.db", 5000);
    sqlite::Use s(c.prepare(sql));
    std::map<std::string, int64_t> out;
    while (s->step()) out[s->blob(0)] = s->int64(1);
    return out;
  }
  // Every blob's refcount equals the number of objects referencing it; every object's blob has a row.
  void expect_refcounts_consistent() {
    auto rc = query_counts("SELECT sha256, refcount FROM blobs");
    auto refs = query_counts("SELECT sha256, COUNT(*) FROM objects GROUP BY sha256");
    for (const auto& [sha, n] : refs) {
      auto it = rc.find(sha);
      ASSERT_NE(it, rc.end()) << "object references blob " << to_hex(sha) << " with no row";
      EXPECT_EQ(it->second, n) << to_hex(sha);
    }
    for (const auto& [sha, n] : rc) {
      if (!refs.count(sha)) {
        EXPECT_EQ(n, 0) << to_hex(sha);
      }
    }
  }
  // Every object in every bucket is readable and hashes correctly.
  void expect_all_objects_readable() {
    for (int64_t bucket : {ba_, bb_})
      for (const auto& s : meta().list_objects(bucket, "", false, "", 100000)) expect_object_readable(bucket, s.key);
  }

  ScratchDir dir_;
  DataDir data_{dir_.path() + "/data"};
  int64_t alice_ = 0, bob_ = 0, ba_ = 0, bb_ = 0;
};

TEST_F(PoolTest, DataDirectoryLayout) {
  EXPECT_TRUE(fs::is_directory(blobs_dir()));
  EXPECT_TRUE(fs::is_directory(tmp_dir()));
  EXPECT_TRUE(fs::exists(dir_.path() + "/data/herd.db"));
  struct stat st;
  ASSERT_EQ(::stat((dir_.path() + "/data").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(PoolTest, PutReturnsTheStoredRecord) {
  const std::string bytes = "The quick brown fox jumps over the lazy dog";
  ObjectMeta m;
  m.content_type = "text/plain";
  m.user_meta = {{"k", "v"}};
  auto o = put(ba_, "fox.txt", bytes, m);
  EXPECT_EQ(o.bucket_id, ba_);
  EXPECT_EQ(o.key, "fox.txt");
  EXPECT_EQ(o.size, static_cast<int64_t>(bytes.size()));
  EXPECT_EQ(o.sha256, sha256(bytes));
  EXPECT_EQ(o.etag, "9e107d9d372bb6826bd81d3542a419d6");  // MD5 of the pangram
  EXPECT_GT(o.modified_ms, 0);
  auto got = meta().get_object(ba_, "fox.txt");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->etag, o.etag);
  EXPECT_EQ(got->modified_ms, o.modified_ms);
  EXPECT_EQ(got->meta.content_type, "text/plain");
  EXPECT_EQ(got->meta.user_meta, m.user_meta);
  expect_object_readable(ba_, "fox.txt", &bytes);
  // The blob sits at its content address.
  const std::string hex = to_hex(o.sha256);
  EXPECT_EQ(disk().path_of(o.sha256), blobs_dir() + "/" + hex.substr(0, 2) + "/" + hex.substr(2, 2) + "/" + hex);
  EXPECT_TRUE(fs::is_regular_file(disk().path_of(o.sha256)));
}

TEST_F(PoolTest, EmptyObject) {
  const std::string empty;
  auto o = put(ba_, "empty", empty);
  EXPECT_EQ(o.size, 0);
  EXPECT_EQ(o.etag, "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(to_hex(o.sha256), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  expect_object_readable(ba_, "empty", &empty);
  EXPECT_EQ(count_files(blobs_dir()), 1u);
}

TEST_F(PoolTest, SameBytesUnderTwoTenantsAreOneBlobFile) {
  std::string bytes(100000, '\0');
  std::mt19937 rng(1);
  for (auto& c : bytes) c = static_cast<char>(rng());
  put(ba_, "a.bin", bytes);
  EXPECT_TRUE(meta().blob_is_live(sha256(bytes)));
  put(bb_, "elsewhere/b.bin", bytes);

  auto st = meta().stats();
  EXPECT_EQ(st.objects, 2);
  EXPECT_EQ(st.blobs, 1);
  EXPECT_EQ(st.physical_bytes, 100000);
  EXPECT_EQ(st.logical_bytes, 200000);
  EXPECT_EQ(count_files(blobs_dir()), 1u);
  EXPECT_EQ(count_files(tmp_dir()), 0u);  // the duplicate's temp file was discarded
  expect_object_readable(ba_, "a.bin", &bytes);
  expect_object_readable(bb_, "elsewhere/b.bin", &bytes);
  expect_refcounts_consistent();
}

TEST_F(PoolTest, OverwriteWithDifferentBytesThenGc) {
  const std::string v1 = "version one", v2 = "version two, longer";
  put(ba_, "doc", v1);
  put(ba_, "doc", v2);
  auto st = meta().stats();
  EXPECT_EQ(st.objects, 1);
  EXPECT_EQ(st.blobs, 2);
  EXPECT_EQ(st.reclaimable_blobs, 1);
  EXPECT_EQ(st.reclaimable_bytes, static_cast<int64_t>(v1.size()));
  EXPECT_EQ(count_files(blobs_dir()), 2u);

  auto report = pool().gc(0);
  EXPECT_EQ(report.blobs_removed, 1);
  EXPECT_EQ(report.bytes_freed, static_cast<int64_t>(v1.size()));
  EXPECT_EQ(count_files(blobs_dir()), 1u);
  EXPECT_FALSE(read_blob(sha256(v1)).has_value());
  EXPECT_EQ(read_blob(sha256(v2)), v2);
  expect_object_readable(ba_, "doc", &v2);
  st = meta().stats();
  EXPECT_EQ(st.blobs, 1);
  EXPECT_EQ(st.reclaimable_blobs, 0);
  EXPECT_EQ(pool().gc(0).blobs_removed, 0);
}

TEST_F(PoolTest, OverwriteWithIdenticalBytesReclaimsNothing) {
  const std::string v = "unchanged";
  put(ba_, "doc", v);
  put(ba_, "doc", v);
  auto st = meta().stats();
  EXPECT_EQ(st.objects, 1);
  EXPECT_EQ(st.blobs, 1);
  EXPECT_EQ(st.reclaimable_blobs, 0);
  EXPECT_EQ(pool().gc(0).blobs_removed, 0);
  expect_object_readable(ba_, "doc", &v);
  expect_refcounts_consistent();
}

TEST_F(PoolTest, DeleteThenGcHonoursTheGracePeriod) {
  const std::string v = "to be deleted";
  put(ba_, "k", v);
  EXPECT_TRUE(pool().remove(ba_, "k"));
  EXPECT_FALSE(pool().remove(ba_, "k"));
  EXPECT_FALSE(pool().remove(ba_, "never-existed"));
  EXPECT_EQ(meta().stats().reclaimable_blobs, 1);

  auto report = pool().gc(3600 * 1000);
  EXPECT_EQ(report.blobs_removed, 0);
  EXPECT_EQ(report.bytes_freed, 0);
  EXPECT_EQ(count_files(blobs_dir()), 1u);
  EXPECT_EQ(read_blob(sha256(v)), v);

  report = pool().gc(0);
  EXPECT_EQ(report.blobs_removed, 1);
  EXPECT_EQ(report.bytes_freed, static_cast<int64_t>(v.size()));
  EXPECT_EQ(count_files(blobs_dir()), 0u);
  auto st = meta().stats();
  EXPECT_EQ(st.blobs, 0);
  EXPECT_EQ(st.physical_bytes, 0);
  EXPECT_EQ(st.reclaimable_blobs, 0);
}

TEST_F(PoolTest, GcRemovesMoreThanOneBatchOfCandidates) {
  // Pool::gc takes candidates 256 at a time. Reaching 257 unreferenced blobs through puts and
  // deletes costs hundreds of fsync'd commits, so the state they would leave (zero-reference rows
  // released a second ago, their files on disk) is written directly in one transaction.
  constexpr int kBlobs = 257;
  auto content = [](int i) { return "gc batch content " + std::to_string(i); };
  {
    sqlite::Connection c(dir_.path() + "/data/herd.db", 5000);
    c.exec("BEGIN IMMEDIATE");
    for (int i = 0; i < kBlobs; ++i) {
      const std::string bytes = content(i), sha = sha256(bytes);
      sqlite::Use s(c.prepare("INSERT INTO blobs(sha256, size, refcount, zero_since_ms) VALUES(?,?,0,?)"));
      s->bind_blob(1, sha).bind(2, static_cast<int64_t>(bytes.size())).bind(3, now_ms() - 1000).run();
      const fs::path path = disk().path_of(sha);
      fs::create_directories(path.parent_path());
      std::ofstream(path, std::ios::binary) << bytes;
    }
    c.exec("COMMIT");
  }
  ASSERT_EQ(count_files(blobs_dir()), static_cast<size_t>(kBlobs));
  ASSERT_EQ(meta().stats().reclaimable_blobs, kBlobs);
  const std::string revived = content(7);
  put(ba_, "survivor", revived);  // one of them is referenced again before the pass

  auto report = pool().gc(0);
  EXPECT_EQ(report.blobs_removed, kBlobs - 1);
  EXPECT_EQ(count_files(blobs_dir()), 1u);
  expect_object_readable(ba_, "survivor", &revived);
  auto st = meta().stats();
  EXPECT_EQ(st.blobs, 1);
  EXPECT_EQ(st.reclaimable_blobs, 0);
  expect_refcounts_consistent();
}

TEST_F(PoolTest, PutReplacesBytesMissingBehindAZeroReferenceRow) {
  // Crash recovery: GC removed the bytes but crashed before forgetting the row (or someone
  // deleted the file by hand). The row sits at refcount 0 with no file; a new put must place the
  // bytes again instead of deduplicating against nothing.
  const std::string v = "precious bytes";
  auto o = put(ba_, "k", v);
  ASSERT_TRUE(pool().remove(ba_, "k"));
  ASSERT_TRUE(fs::remove(disk().path_of(o.sha256)));
  ASSERT_EQ(count_files(blobs_dir()), 0u);
  ASSERT_EQ(meta().stats().blobs, 1);

  put(bb_, "again", v);
  expect_object_readable(bb_, "again", &v);
  EXPECT_EQ(count_files(blobs_dir()), 1u);
  EXPECT_EQ(meta().stats().reclaimable_blobs, 0);
  EXPECT_EQ(pool().gc(0).blobs_removed, 0);
  expect_object_readable(bb_, "again", &v);
  expect_refcounts_consistent();
}

TEST_F(PoolTest, GcForgetsAZeroReferenceRowWhoseBytesAreGone) {
  const std::string v = "lost";
  auto o = put(ba_, "k", v);
  ASSERT_TRUE(pool().remove(ba_, "k"));
  ASSERT_TRUE(fs::remove(disk().path_of(o.sha256)));
  auto report = pool().gc(0);
  EXPECT_EQ(report.blobs_removed, 1);
  EXPECT_EQ(meta().stats().blobs, 0);
}

TEST_F(PoolTest, GcRacingAnUploadOfTheSameBytesNeverLosesThem) {
  // Thread A deletes the only object referencing blob X and collects garbage in a loop while
  // thread B uploads X again under a new key. Whoever wins, B's object must end up readable.
  const auto deadline = std::chrono::steady_clock::now() + 4s;
  int iterations = 0;
  std::mt19937 rng(99);
  for (int i = 0; i < 200 && std::chrono::steady_clock::now() < deadline; ++i, ++iterations) {
    const std::string bytes = "race payload " + std::to_string(i) + std::string(512 + i, 'x');
    const std::string old_key = "a/" + std::to_string(i), new_key = "b/" + std::to_string(i);
    put(ba_, old_key, bytes);
    const unsigned b_delay_us = rng() % 300;

    std::latch start(2);
    std::atomic<bool> b_done{false};
    std::string error_a, error_b;
    std::thread a([&] {
      try {
        start.arrive_and_wait();
        pool().remove(ba_, old_key);
        for (int n = 0; n < 10000 && !b_done.load(); ++n) pool().gc(0);
        pool().gc(0);
      } catch (const std::exception& e) {
        error_a = e.what();
      }
    });
    std::thread b([&] {
      bool arrived = false;
      try {
        auto upload = pool().begin_upload(1 << 20);
        upload->append(bytes.data(), bytes.size());
        upload->finish();
        arrived = true;
        start.arrive_and_wait();
        std::this_thread::sleep_for(std::chrono::microseconds(b_delay_us));
        pool().put(*upload, bb_, new_key, {});
      } catch (const std::exception& e) {
        error_b = e.what();
        if (!arrived) start.count_down();
      }
      b_done = true;
    });
    a.join();
    b.join();
    ASSERT_EQ(error_a, "") << "iteration " << i;
    ASSERT_EQ(error_b, "") << "iteration " << i;
    ASSERT_FALSE(meta().get_object(ba_, old_key).has_value());
    expect_object_readable(bb_, new_key, &bytes);
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "failed at iteration " << i;
      return;
    }
  }
  RecordProperty("iterations", iterations);
  EXPECT_GE(iterations, 20);
  expect_refcounts_consistent();
  expect_all_objects_readable();
  auto st = meta().stats();
  EXPECT_EQ(st.objects, iterations);
  EXPECT_EQ(st.reclaimable_blobs, 0);
  EXPECT_EQ(st.blobs, iterations);
  EXPECT_EQ(count_files(blobs_dir()), static_cast<size_t>(iterations));
  EXPECT_EQ(count_files(tmp_dir()), 0u);
}

TEST_F(PoolTest, ConcurrentPutsDeletesAndGcKeepTheInvariants) {
  // Writers churn a few shared contents over a few keys while a collector runs continuously.
  const std::vector<std::string> contents = {"one", "two", std::string(3000, 't'), "four", ""};
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 3; ++w) {
    writers.emplace_back([&, w] {
      std::mt19937 rng(1000 + w);
      try {
        for (int i = 0; i < 60; ++i) {
          int64_t bucket = (rng() % 2) ? ba_ : bb_;
          std::string key = "k" + std::to_string(rng() % 6);
          if (rng() % 3 == 0) {
            pool().remove(bucket, key);
          } else {
            put(bucket, key, contents[rng() % contents.size()]);
          }
        }
      } catch (const std::exception& e) {
        ++errors;
        ADD_FAILURE() << "writer " << w << ": " << e.what();
      }
    });
  }
  std::thread collector([&] {
    try {
      while (!stop.load()) pool().gc(0);
    } catch (const std::exception& e) {
      ++errors;
      ADD_FAILURE() << "collector: " << e.what();
    }
  });
  for (auto& t : writers) t.join();
  stop = true;
  collector.join();
  ASSERT_EQ(errors.load(), 0);
  expect_refcounts_consistent();
  expect_all_objects_readable();
  pool().gc(0);
  auto st = meta().stats();
  EXPECT_EQ(st.reclaimable_blobs, 0);
  EXPECT_EQ(count_files(blobs_dir()), static_cast<size_t>(st.blobs));
  EXPECT_EQ(count_files(tmp_dir()), 0u);
}

// --- uploads

TEST_F(PoolTest, UploadPastMaxSizeThrowsTooLarge) {
  auto upload = pool().begin_upload(10);
  upload->append("12345", 5);
  upload->append("67890", 5);  // exactly the limit is fine
  EXPECT_EQ(upload->size(), 10);
  EXPECT_THROW(upload->append("x", 1), Upload::TooLarge);
  EXPECT_EQ(upload->size(), 10);

  auto big = pool().begin_upload(10);
  EXPECT_THROW(big->append("this is eleven", 11), Upload::TooLarge);
  EXPECT_EQ(big->size(), 0);

  auto zero = pool().begin_upload(0);
  zero->append("", 0);
  EXPECT_THROW(zero->append("a", 1), Upload::TooLarge);
}

TEST_F(PoolTest, LargeChunksHashedOnTwoLanesGiveTheOneShotDigests) {
  std::mt19937 rng(7);
  std::string body(3 * 1024 * 1024 + 17, '\0');
  for (char& c : body) c = static_cast<char>(rng());
  auto upload = pool().begin_upload(int64_t{1} << 30);
  // Chunk sizes above and below the lane threshold, in one body.
  for (size_t at = 0, step = 300 * 1024; at < body.size(); at += step, step = step == 300 * 1024 ? 1000 : 300 * 1024)
    upload->append(body.data() + at, std::min(step, body.size() - at));
  upload->finish();
  EXPECT_EQ(upload->sha256(), sha256(body));
  EXPECT_EQ(upload->md5(), md5(body));
  EXPECT_EQ(upload->size(), static_cast<int64_t>(body.size()));
  auto o = pool().put(*upload, ba_, "big", {});
  auto reader = pool().blobs().open(o.sha256);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->size(), static_cast<int64_t>(body.size()));
}

TEST_F(PoolTest, TooLargeIsARuntimeError) {
  auto upload = pool().begin_upload(1);
  EXPECT_THROW(upload->append("ab", 2), std::runtime_error);
}

TEST_F(PoolTest, DroppedUploadLeavesNoTempFile) {
  {
    auto upload = pool().begin_upload(1 << 20);
    upload->append("abandoned body", 14);
    EXPECT_EQ(count_files(tmp_dir()), 1u);
  }
  EXPECT_EQ(count_files(tmp_dir()), 0u);
  {
    auto upload = pool().begin_upload(4);
    EXPECT_THROW(upload->append("too large", 9), Upload::TooLarge);
  }
  EXPECT_EQ(count_files(tmp_dir()), 0u);
  {
    auto upload = pool().begin_upload(1 << 20);
    upload->append("finished but never put", 22);
    upload->finish();
  }
  EXPECT_EQ(count_files(tmp_dir()), 0u);
  EXPECT_EQ(count_files(blobs_dir()), 0u);
  EXPECT_EQ(meta().stats().blobs, 0);
}

TEST_F(PoolTest, PutIntoAVanishedBucketThrowsAndLeavesNothing) {
  ASSERT_TRUE(meta().delete_bucket(ba_));
  {
    auto upload = pool().begin_upload(1 << 20);
    upload->append("orphan", 6);
    upload->finish();
    EXPECT_THROW(pool().put(*upload, ba_, "k", {}), NoSuchBucketError);
  }
  EXPECT_EQ(count_files(tmp_dir()), 0u);
  EXPECT_EQ(count_files(blobs_dir()), 0u);
  EXPECT_EQ(meta().stats().blobs, 0);
}

TEST_F(PoolTest, DeleteBucketAndTenantThroughThePool) {
  put(ba_, "x", "shared");
  put(bb_, "y", "shared");
  put(ba_, "z", "alice only");
  EXPECT_FALSE(meta().delete_bucket(ba_));
  pool().delete_tenant(alice_);
  auto st = meta().stats();
  EXPECT_EQ(st.objects, 1);
  EXPECT_EQ(st.reclaimable_blobs, 1);
  auto report = pool().gc(0);
  EXPECT_EQ(report.blobs_removed, 1);
  EXPECT_EQ(report.bytes_freed, 10);
  EXPECT_EQ(count_files(blobs_dir()), 1u);
  const std::string shared = "shared";
  expect_object_readable(bb_, "y", &shared);
  expect_refcounts_consistent();
}

TEST_F(PoolTest, ReopeningTheDataDirectoryKeepsObjects) {
  const std::string v = "durable";
  put(ba_, "k", v);
  DataDir again(dir_.path() + "/data");
  auto o = again.pool().meta().get_object(ba_, "k");
  ASSERT_TRUE(o.has_value());
  auto r = again.pool().blobs().open(o->sha256);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->size(), static_cast<int64_t>(v.size()));
}

}  // namespace
}  // namespace herd

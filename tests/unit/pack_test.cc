// Tests for packed small blobs: blob/pack_writer.h and the pack side of blob/disk_blob_store.h
// (placement, reads checked against the record header, sealing, repack, deletion), Upload keeping
// small bodies in memory, Pool compaction in gc() with readers holding old locations, fsck on
// packed blobs, and the metadata migration that added blob locations.
#include <gtest/gtest.h>
#include <sys/file.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "blob/disk_blob_store.h"
#include "blob/memory_blob.h"
#include "blob/pack_format.h"
#include "meta/sqlite.h"
#include "meta/sqlite_meta_store.h"
#include "app/data_dir.h"
#include "pool/fsck.h"
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

// Places bytes as a small blob; with `release`, lets go of it at once, as a committed blob is.
BlobLocation place_in_memory(BlobStore& store, const std::string& bytes, bool release = true) {
  MemoryBlob blob(bytes.size());
  blob.write(bytes.data(), bytes.size());
  BlobLocation where = store.place(blob, sha256(bytes));
  if (release) store.release_placed({where});
  return where;
}

TEST(PackStore, SmallBlobsShareAPackAndReadBackThroughTheirHeader) {
  ScratchDir dir;
  DiskBlobStore store(dir.path());
  std::vector<std::string> bodies{"first", std::string(100000, 'x'), ""};
  std::vector<BlobStore::Placement> placements;
  std::vector<std::unique_ptr<MemoryBlob>> temps;
  for (const auto& b : bodies) {
    temps.push_back(std::make_unique<MemoryBlob>(b.size()));
    temps.back()->write(b.data(), b.size());
    placements.push_back({temps.back().get(), sha256(b)});
  }
  auto at = store.place_many(placements);
  ASSERT_EQ(at.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(at[i].packed());
    EXPECT_EQ(at[i].pack, at[0].pack) << "one group, one pack";
    auto r = store.open(sha256(bodies[i]), at[i]);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->size(), static_cast<int64_t>(bodies[i].size()));
    EXPECT_EQ(r->fd_offset(), at[i].offset);
    EXPECT_EQ(read_all(*r), bodies[i]);
  }
  EXPECT_EQ(at[1].offset, at[0].offset + 5 + static_cast<int64_t>(pack::kHeaderSize));
  EXPECT_EQ(count_files(dir.path() + "/blobs"), 0u) << "packed blobs get no file of their own";
  EXPECT_EQ(count_files(dir.path() + "/tmp"), 0u);

  // A location that does not hold the blob asked for is refused, never served.
  EXPECT_EQ(store.open(sha256("first"), at[1]), nullptr);
  EXPECT_EQ(store.open(sha256("first"), BlobLocation{at[0].pack, at[0].offset + 1}), nullptr);
  EXPECT_EQ(store.open(sha256("first"), BlobLocation{at[0].pack, 3}), nullptr);
  EXPECT_EQ(store.open(sha256("first"), BlobLocation{at[0].pack + 1, at[0].offset}), nullptr);
  // Removing a packed blob leaves its record (dead space until compaction).
  store.remove(sha256("first"), at[0]);
  EXPECT_NE(store.open(sha256("first"), at[0]), nullptr);
}

TEST(PackStore, TheActivePackIsLockedAndFullPacksAreSealed) {
  ScratchDir dir;
  auto store = std::make_unique<DiskBlobStore>(dir.path(), /*max_pack_bytes=*/1000);
  auto a = place_in_memory(*store, std::string(2000, 'a'));
  ASSERT_EQ(store->packs().size(), 1u);
  EXPECT_FALSE(store->packs()[0].sealed) << "the pack being written is not sealed";
  auto b = place_in_memory(*store, "b");  // the first pack is full: a new one starts
  EXPECT_NE(a.pack, b.pack);
  std::vector<PackInfo> sealed;
  for (const auto& p : store->packs())
    if (p.sealed) sealed.push_back(p);
  ASSERT_EQ(sealed.size(), 1u);
  EXPECT_EQ(sealed[0].id, a.pack);
  EXPECT_EQ(sealed[0].bytes, 2000 + static_cast<int64_t>(pack::kHeaderSize));
  // A full pack holding a blob not yet recorded (placed, not released) stays unsealed until then.
  auto c = place_in_memory(*store, std::string(2000, 'c'), /*release=*/false);
  auto d = place_in_memory(*store, "d");
  ASSERT_NE(c.pack, d.pack);
  auto sealed_now = [&](int64_t id) {
    for (const auto& p : store->packs())
      if (p.id == id) return p.sealed;
    return false;
  };
  EXPECT_FALSE(sealed_now(c.pack)) << "compaction must not take a pack a commit is about to reference";
  store->release_placed({c});
  EXPECT_TRUE(sealed_now(c.pack));
  // Another process (or a restart) sees the same: the writer's lock is what marks its pack.
  store.reset();
  DiskBlobStore after(dir.path(), 1000);
  ASSERT_EQ(after.packs().size(), 3u);
  for (const auto& p : after.packs()) EXPECT_TRUE(p.sealed);
  auto r = after.open(sha256("b"), b);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(read_all(*r), "b");
}

TEST(PackStore, RepackCopiesVerifiedBlobsAndSkipsCorruptOnes) {
  ScratchDir dir;
  DiskBlobStore store(dir.path(), 1000);
  auto good = place_in_memory(store, std::string(600, 'g'));
  auto bad = place_in_memory(store, std::string(600, 'b'));
  ASSERT_EQ(good.pack, bad.pack);
  // Flip a byte of the second record behind the store's back.
  std::string path = dir.path() + "/packs/" + pack::file_name(bad.pack);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(bad.offset + 10);
    f.put('X');
  }
  place_in_memory(store, "next");  // seals the first pack
  std::vector<PackedBlob> blobs{{sha256(std::string(600, 'g')), 600, good},
                                {sha256(std::string(600, 'b')), 600, bad}};
  auto moved = store.repack(blobs);
  ASSERT_TRUE(moved[0].has_value());
  EXPECT_FALSE(moved[1].has_value()) << "corrupt bytes are never copied";
  EXPECT_NE(moved[0]->pack, good.pack);
  auto r = store.open(blobs[0].sha256, *moved[0]);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(read_all(*r), std::string(600, 'g'));

  store.delete_pack(good.pack);
  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(store.open(blobs[0].sha256, good), nullptr);
  store.delete_pack(good.pack);  // absent: not an error
}

TEST(PackStore, UnbornPacksLeftByACrashAreCleared) {
  ScratchDir dir;
  DiskBlobStore store(dir.path());
  std::string unborn = dir.path() + "/packs/abc.unborn";
  std::ofstream(unborn) << "half";
  EXPECT_EQ(store.clear_temp(), 1u);
  EXPECT_FALSE(fs::exists(unborn));
}

class PackedPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Tenant t{0, "alice", "AKIAALICE", "s1", 0};
    ASSERT_TRUE(pool().meta().create_tenant(t));
    ASSERT_EQ(pool().meta().create_bucket(t.id, "b"), CreateBucketResult::kCreated);
    bucket_ = pool().meta().bucket_by_name("b")->id;
  }
  Pool& pool() { return data_->pool(); }

  // PutObject's path: a body declared up front, packed when small enough.
  ObjectRecord put(const std::string& key, const std::string& bytes) {
    auto upload = pool().begin_upload(int64_t{1} << 30, /*may_pack=*/true);
    upload->expect(static_cast<int64_t>(bytes.size()));
    for (size_t off = 0; off < bytes.size(); off += 1000)
      upload->append(bytes.data() + off, std::min<size_t>(1000, bytes.size() - off));
    upload->finish();
    return pool().put(*upload, bucket_, key, {});
  }

  std::string read(const ObjectRecord& o) {
    auto r = pool().open_blob(o);
    if (!r) return "<missing>";
    return read_all(*r);
  }

  // Seals the pack being written (as a restart does).
  void reopen() {
    data_.reset();
    data_ = std::make_unique<DataDir>(dir_.path() + "/data");
  }

  ScratchDir dir_;
  std::unique_ptr<DataDir> data_ = std::make_unique<DataDir>(dir_.path() + "/data");
  int64_t bucket_ = 0;
};

TEST_F(PackedPoolTest, SmallPutsArePackedAndLargeOnesGetFiles) {
  auto small = put("small", std::string(1000, 's'));
  put("large", std::string(300 * 1024, 'l'));  // over the 256 KiB default threshold
  auto stored_small = pool().meta().get_object(bucket_, "small");
  auto stored_large = pool().meta().get_object(bucket_, "large");
  EXPECT_EQ(stored_small->sha256, small.sha256);
  EXPECT_TRUE(stored_small->location.packed()) << "the location is recorded with the blob";
  EXPECT_FALSE(stored_large->location.packed());
  EXPECT_EQ(read(*stored_small), std::string(1000, 's'));
  EXPECT_EQ(read(*stored_large), std::string(300 * 1024, 'l'));
  EXPECT_EQ(count_files(dir_.path() + "/data/blobs"), 1u);

  // Packing off: every body gets a file.
  pool().set_pack_threshold(0);
  put("off", "tiny");
  EXPECT_FALSE(pool().meta().get_object(bucket_, "off")->location.packed());
  EXPECT_EQ(read(*pool().meta().get_object(bucket_, "off")), "tiny");
}

TEST_F(PackedPoolTest, ABodyLongerThanDeclaredMovesToAFile) {
  pool().set_pack_threshold(10);
  auto upload = pool().begin_upload(1 << 20, true);
  upload->expect(4);
  upload->append("0123456789", 10);
  upload->append("abcdef", 6);  // past the threshold: spilled to a temp file
  upload->finish();
  pool().put(*upload, bucket_, "k", {});
  auto stored = pool().meta().get_object(bucket_, "k");
  EXPECT_FALSE(stored->location.packed());
  EXPECT_EQ(read(*stored), "0123456789abcdef");
}

TEST_F(PackedPoolTest, OnlyPackableUploadsStayInMemory) {
  auto part = pool().begin_upload(1 << 20, /*may_pack=*/false);  // parts are staged as files
  part->expect(0);
  EXPECT_FALSE(part->in_memory());
  auto body = pool().begin_upload(1 << 20, true);
  body->expect(0);
  EXPECT_TRUE(body->in_memory());
  auto big = pool().begin_upload(1 << 20, true);
  big->expect(300 * 1024);
  EXPECT_FALSE(big->in_memory());
}

TEST_F(PackedPoolTest, DuplicatesOfPackedBytesAddNothing) {
  auto a = put("a", "same bytes");
  auto b = put("b", "same bytes");
  EXPECT_EQ(a.sha256, b.sha256);
  auto packs = fs::directory_iterator(dir_.path() + "/data/packs");
  int64_t bytes = 0;
  for (const auto& e : packs) bytes += static_cast<int64_t>(e.file_size());
  EXPECT_EQ(bytes, 10 + static_cast<int64_t>(pack::kHeaderSize));
}

TEST_F(PackedPoolTest, GcCompactsMostlyDeadPacksAndReadersFollowTheMove) {
  std::vector<std::string> keys;
  for (int i = 0; i < 10; ++i) {
    keys.push_back("k" + std::to_string(i));
    put(keys.back(), std::string(1000, static_cast<char>('a' + i)));
  }
  reopen();  // seals the pack
  auto before = *pool().meta().get_object(bucket_, "k9");  // as a cache would hold it
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(pool().remove(bucket_, keys[i]));

  auto report = pool().gc(0);
  EXPECT_EQ(report.blobs_removed, 7);
  EXPECT_EQ(report.blobs_repacked, 3);
  EXPECT_EQ(report.packs_removed, 1);
  EXPECT_GT(report.bytes_freed, 7000);
  EXPECT_FALSE(fs::exists(dir_.path() + "/data/packs/" + pack::file_name(before.location.pack)));
  for (int i = 7; i < 10; ++i) {
    auto o = pool().meta().get_object(bucket_, keys[i]);
    EXPECT_NE(o->location, before.location);
    EXPECT_EQ(read(*o), std::string(1000, static_cast<char>('a' + i)));
  }
  // A reader holding the old location finds the blob where it went.
  EXPECT_EQ(read(before), std::string(1000, 'j'));

  // A pack that is mostly live stays as it is; a pack with nothing live goes entirely.
  reopen();
  report = pool().gc(0);
  EXPECT_EQ(report.packs_removed, 0);
  for (int i = 7; i < 10; ++i) ASSERT_TRUE(pool().remove(bucket_, keys[i]));
  report = pool().gc(0);
  EXPECT_EQ(report.blobs_removed, 3);
  EXPECT_EQ(report.packs_removed, 1);
  EXPECT_EQ(count_files(dir_.path() + "/data/packs"), 0u);
}

TEST_F(PackedPoolTest, FsckVerifiesPackedBlobsAndQuarantinesCorruptOnes) {
  put("k", std::string(5000, 'z'));
  auto o = *pool().meta().get_object(bucket_, "k");
  ASSERT_TRUE(o.location.packed());
  auto clean = fsck(pool(), {});
  EXPECT_EQ(clean.problems(), 0);
  EXPECT_EQ(clean.bytes_checked, 5000);
  {
    std::fstream f(dir_.path() + "/data/packs/" + pack::file_name(o.location.pack),
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(o.location.offset + 100);
    f.put('!');
  }
  FsckOptions repair;
  repair.repair = true;
  auto r = fsck(pool(), repair);
  EXPECT_EQ(r.corrupt_blobs, 1);
  EXPECT_EQ(r.problems(), 0);
  EXPECT_TRUE(fs::exists(dir_.path() + "/data/quarantine/" + to_hex(o.sha256) + ".packed"));
  // The corrupt record is no longer served: the blob is now reported missing.
  EXPECT_EQ(pool().open_blob(*pool().meta().get_object(bucket_, "k")), nullptr);
  EXPECT_EQ(fsck(pool(), {}).missing_blobs, 1);
}

TEST(MetaMigration, AVersionOneDatabaseGainsBlobLocations) {
  ScratchDir dir;
  std::string path = dir.path() + "/herd.db";
  {
    sqlite::Connection c(path, 5000);
    c.exec("CREATE TABLE blobs(sha256 BLOB PRIMARY KEY, size INTEGER NOT NULL, refcount INTEGER NOT NULL, "
           "zero_since_ms INTEGER) WITHOUT ROWID; PRAGMA user_version = 1;");
    c.exec("INSERT INTO blobs VALUES(x'00', 3, 1, NULL)");
  }
  SqliteMetaStore meta(path);
  auto b = meta.get_blob(std::string(1, '\0'));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->size, 3);
  EXPECT_FALSE(b->location.packed()) << "existing blobs keep their files";
  meta.set_blob_location(std::string(1, '\0'), BlobLocation{7, 48});
  EXPECT_EQ(meta.blob_location(std::string(1, '\0')), (BlobLocation{7, 48}));
  SqliteMetaStore again(path);  // migrating twice is harmless
  EXPECT_EQ(again.blob_location(std::string(1, '\0')), (BlobLocation{7, 48}));
}

}  // namespace
}  // namespace herd

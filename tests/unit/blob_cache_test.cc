// Tests for blob/blob_cache.h: hits after a fetch, one fetch for concurrent misses, LRU eviction
// at the size cap, adoption of uploaded files, erase, and reindexing on reopen.
#include "blob/blob_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "read_all.h"
#include "scratch_dir.h"
#include "util/digest.h"

namespace herd {
namespace {

using testing_support::read_all;

// A fetch that writes `data` and counts its calls.
BlobCache::Fetch serving(const std::string& data, std::atomic<int>& calls) {
  return [&data, &calls](TempFile& f) {
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let concurrent misses meet
    f.write(data.data(), data.size());
    return true;
  };
}

TEST(BlobCacheTest, AMissIsFetchedOnceThenHits) {
  testing_support::ScratchDir dir;
  BlobCache cache(dir.path() + "/cache", 1 << 20);
  std::string data(5000, 'a');
  std::atomic<int> calls{0};
  std::vector<std::thread> readers;
  std::atomic<int> right{0};
  for (int i = 0; i < 8; ++i)
    readers.emplace_back([&] {
      auto r = cache.open(sha256(data), serving(data, calls));
      if (r && read_all(*r) == data) ++right;
    });
  for (auto& t : readers) t.join();
  EXPECT_EQ(right.load(), 8);
  EXPECT_EQ(calls.load(), 1) << "concurrent misses share one fetch";
  auto again = cache.open(sha256(data), serving(data, calls));
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(cache.bytes(), 5000);
}

TEST(BlobCacheTest, AbsentBlobsAreNotCachedAndFailuresCacheNothing) {
  testing_support::ScratchDir dir;
  BlobCache cache(dir.path() + "/cache", 1 << 20);
  EXPECT_EQ(cache.open(sha256("x"), [](TempFile&) { return false; }), nullptr);
  EXPECT_THROW(cache.open(sha256("y"),
                          [](TempFile& f) -> bool {
                            f.write("partial", 7);
                            throw std::runtime_error("connection reset");
                          }),
               std::runtime_error);
  EXPECT_EQ(cache.entries(), 0u);
}

TEST(BlobCacheTest, TheLeastRecentlyUsedLeaveAtTheCap) {
  testing_support::ScratchDir dir;
  BlobCache cache(dir.path() + "/cache", 10000);
  std::string a(4000, 'a'), b(4000, 'b'), c(4000, 'c');
  std::atomic<int> calls{0};
  cache.open(sha256(a), serving(a, calls));
  cache.open(sha256(b), serving(b, calls));
  cache.open(sha256(a), serving(a, calls));  // a is now the most recent
  cache.open(sha256(c), serving(c, calls));  // evicts b
  EXPECT_EQ(calls.load(), 3);
  EXPECT_LE(cache.bytes(), 10000);
  cache.open(sha256(a), serving(a, calls));
  EXPECT_EQ(calls.load(), 3) << "a stayed";
  auto rb = cache.open(sha256(b), serving(b, calls));
  EXPECT_EQ(calls.load(), 4) << "b was evicted and fetched again";
  EXPECT_EQ(read_all(*rb), b);
}

TEST(BlobCacheTest, AdoptedFilesAreHitsAndEraseDropsThem) {
  testing_support::ScratchDir dir;
  BlobCache cache(dir.path() + "/cache", 1 << 20);
  std::string data(3000, 'z');
  auto f = cache.create_temp();
  f->write(data.data(), data.size());
  cache.adopt(sha256(data), *f);
  std::atomic<int> calls{0};
  auto r = cache.open(sha256(data), serving(data, calls));
  EXPECT_EQ(calls.load(), 0);
  EXPECT_EQ(read_all(*r), data);
  cache.erase(sha256(data));
  cache.open(sha256(data), serving(data, calls));
  EXPECT_EQ(calls.load(), 1);
}

TEST(BlobCacheTest, ReopeningIndexesWhatIsThereAndZeroCapacityKeepsNothing) {
  testing_support::ScratchDir dir;
  std::string data(2000, 'q');
  std::atomic<int> calls{0};
  {
    BlobCache cache(dir.path() + "/cache", 1 << 20);
    cache.open(sha256(data), serving(data, calls));
  }
  BlobCache reopened(dir.path() + "/cache", 1 << 20);
  EXPECT_EQ(reopened.bytes(), 2000);
  reopened.open(sha256(data), serving(data, calls));
  EXPECT_EQ(calls.load(), 1);

  BlobCache none(dir.path() + "/none", 0);
  auto r = none.open(sha256(data), serving(data, calls));
  EXPECT_EQ(read_all(*r), data);
  EXPECT_EQ(none.entries(), 0u);
}

}  // namespace
}  // namespace herd

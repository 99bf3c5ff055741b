// Tests for blob/open_file_cache.h and its use by DiskBlobStore: hot blobs reuse one open
// descriptor, entries expire, the cache stays bounded, and a removed blob is never served from it.
#include "blob/open_file_cache.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <thread>

#include "blob/disk_blob_store.h"
#include "util/digest.h"
#include "scratch_dir.h"

namespace herd {
namespace {

using namespace std::chrono_literals;
using testing_support::ScratchDir;

std::shared_ptr<const OpenFile> open_null() {
  return std::make_shared<const OpenFile>(::open("/dev/null", O_RDONLY | O_CLOEXEC), 0);
}

TEST(OpenFileCacheTest, ServesUntilExpiryOrErase) {
  OpenFileCache cache(8, 50ms);
  auto f = open_null();
  cache.put("a", f);
  EXPECT_EQ(cache.get("a"), f);
  cache.erase("a");
  EXPECT_EQ(cache.get("a"), nullptr);
  cache.put("b", f);
  std::this_thread::sleep_for(80ms);
  EXPECT_EQ(cache.get("b"), nullptr);
}

TEST(OpenFileCacheTest, StaysBounded) {
  OpenFileCache cache(4, 10s);
  for (int i = 0; i < 10; ++i) cache.put("k" + std::to_string(i), open_null());
  int present = 0;
  for (int i = 0; i < 10; ++i) present += cache.get("k" + std::to_string(i)) != nullptr;
  EXPECT_LE(present, 4);
  EXPECT_NE(cache.get("k9"), nullptr);  // the newest entry is always kept
}

TEST(OpenFileCacheTest, ABlobStoreReusesTheDescriptorAndForgetsRemovedBlobs) {
  ScratchDir dir;
  DiskBlobStore store(dir.path());
  auto temp = store.create_temp();
  temp->write("hello", 5);
  const std::string sha = sha256("hello");
  store.place(*temp, sha);
  auto first = store.open(sha);
  auto second = store.open(sha);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->fd(), second->fd());
  char buf[5];
  EXPECT_EQ(second->read(0, buf, 5), 5u);
  EXPECT_EQ(std::string(buf, 5), "hello");
  // A file deleted behind the store's back (by hand, by another process) is not served either.
  ::unlink(store.path_of(sha).c_str());
  EXPECT_EQ(store.open(sha), nullptr);
  store.remove(sha);
  EXPECT_EQ(store.open(sha), nullptr);
  // A reader opened before the removal keeps working.
  EXPECT_EQ(first->read(1, buf, 4), 4u);
}

}  // namespace
}  // namespace herd

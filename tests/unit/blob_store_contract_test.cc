// The blob store contract: one suite run against every BlobStore backend (local disk in a
// scratch directory; an S3 bucket on the Ceph RGW scripts/test-rgw.sh starts): placing files and
// in-memory bodies, idempotent re-placement, reads, removal, staging, inventory, quarantine, a
// blob larger than the multipart threshold, and (where the store is shared) a second node
// reading what the first placed.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "blob/memory_blob.h"
#include "blob_store_backends.h"
#include "read_all.h"
#include "scratch_dir.h"
#include "util/digest.h"
#include "util/random.h"

namespace herd {
namespace {

using testing_support::read_all;

class BlobStoreContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!backend_.available()) GTEST_SKIP() << backend_.why_unavailable();
    store_ = backend_.open();
  }
  // Fresh random bytes (so tests sharing a bucket never share blobs).
  static std::string bytes(size_t n) { return random_string(n, "abcdefghijklmnopqrstuvwxyz0123456789"); }
  std::unique_ptr<TempBlob> file_with(const std::string& data) {
    auto t = store_->create_temp();
    t->write(data.data(), data.size());
    return t;
  }
  std::string read(BlobStore& s, const std::string& sha) {
    auto r = s.open(sha);
    return r ? read_all(*r) : "<absent>";
  }

  testing_support::ScratchDir dir_;
  testing_support::BlobBackend backend_{GetParam(), dir_.path()};
  std::unique_ptr<BlobStore> store_;
};

TEST_P(BlobStoreContract, PlacedFilesAndMemoryBodiesReadBack) {
  std::string a = bytes(300000), b = bytes(1000);
  auto ta = file_with(a);
  MemoryBlob tb(b.size());
  tb.write(b.data(), b.size());
  auto where = store_->place_many({{ta.get(), sha256(a)}, {&tb, sha256(b)}});
  ASSERT_EQ(where.size(), 2u);
  store_->release_placed(where);
  auto r = store_->open(sha256(a), where[0]);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->size(), static_cast<int64_t>(a.size()));
  EXPECT_EQ(read_all(*r), a);
  auto rb = store_->open(sha256(b), where[1]);
  ASSERT_TRUE(rb);
  EXPECT_EQ(read_all(*rb), b);
  EXPECT_EQ(rb->read(static_cast<int64_t>(b.size()), nullptr, 10), 0u) << "reads end at the blob's end";
}

TEST_P(BlobStoreContract, PlacingTheSameBytesAgainIsHarmless) {
  std::string a = bytes(5000);
  auto first = file_with(a);
  store_->place(*first, sha256(a));
  auto second = file_with(a);
  store_->place(*second, sha256(a));
  EXPECT_EQ(read(*store_, sha256(a)), a);
}

TEST_P(BlobStoreContract, RemovedBlobsAreGoneAndRemovingTwiceIsFine) {
  std::string a = bytes(7000);
  auto t = file_with(a);
  auto where = store_->place(*t, sha256(a));
  store_->remove(sha256(a), where);
  if (!where.packed()) EXPECT_EQ(store_->open(sha256(a), where), nullptr);
  EXPECT_NO_THROW(store_->remove(sha256(a), where));
  EXPECT_EQ(store_->open(sha256(bytes(10))), nullptr) << "a blob never placed is absent";
}

TEST_P(BlobStoreContract, StagedPartsRoundTrip) {
  std::string part = bytes(200000);
  auto t = file_with(part);
  std::string handle = store_->stage(*t, sha256(part));
  auto r = store_->open_staged(handle);
  ASSERT_TRUE(r);
  EXPECT_EQ(read_all(*r), part);
  store_->remove_staged(handle);
  EXPECT_EQ(store_->open_staged(handle), nullptr);
  EXPECT_THROW(store_->open_staged("../etc/passwd"), std::invalid_argument);
  EXPECT_TRUE(store_->staged_older_than(std::chrono::seconds(3600)).empty() ||
              std::count(store_->staged_older_than(std::chrono::seconds(3600)).begin(),
                         store_->staged_older_than(std::chrono::seconds(3600)).end(), handle) == 0);
}

TEST_P(BlobStoreContract, InventoryListsPlacedBlobs) {
  std::string a = bytes(4000), b = bytes(4001);
  auto ta = file_with(a);
  auto tb = file_with(b);
  store_->place_many({{ta.get(), sha256(a)}, {tb.get(), sha256(b)}});
  std::set<std::string> seen;
  store_->for_each_blob([&](const std::string& sha) { seen.insert(sha); }, [](const std::string&) {});
  EXPECT_TRUE(seen.count(sha256(a)));
  EXPECT_TRUE(seen.count(sha256(b)));
}

TEST_P(BlobStoreContract, QuarantinedBlobsAreNoLongerServed) {
  std::string a = bytes(6000);
  auto t = file_with(a);
  store_->place(*t, sha256(a));
  store_->quarantine(sha256(a));
  EXPECT_EQ(store_->open(sha256(a)), nullptr);
}

TEST_P(BlobStoreContract, LargeBlobsReadBack) {
  std::string big = bytes((size_t{12} << 20) + 12345);  // above the s3 tests' 5 MiB multipart threshold
  auto t = file_with(big);
  store_->place(*t, sha256(big));
  auto r = store_->open(sha256(big));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->size(), static_cast<int64_t>(big.size()));
  EXPECT_TRUE(read_all(*r) == big);
}

TEST_P(BlobStoreContract, UnfinishedTempFilesAreCleared) {
  auto t = store_->create_temp();
  t->write("x", 1);
  EXPECT_EQ(store_->stale_temp_files(std::chrono::seconds(0)).size(), 1u);
  EXPECT_EQ(store_->clear_temp(), 1u);
}

TEST_P(BlobStoreContract, AnotherNodeReadsWhatOneNodePlaced) {
  if (GetParam() != "s3") GTEST_SKIP() << "a disk store is not shared between nodes";
  std::string a = bytes(100000);
  auto t = file_with(a);
  store_->place(*t, sha256(a));
  auto other = backend_.open("b");
  EXPECT_EQ(read(*other, sha256(a)), a) << "fetched from the backend into node b's cache";
  EXPECT_EQ(read(*other, sha256(a)), a) << "then read from node b's cache";
  store_->remove(sha256(a));
  auto third = backend_.open("c");
  EXPECT_EQ(third->open(sha256(a)), nullptr) << "a removed blob is gone for a node that never cached it";
}

TEST_P(BlobStoreContract, CorruptBytesInTheBackendAreNeverServed) {
  if (GetParam() != "s3") GTEST_SKIP() << "the disk store's corruption is fsck's to find (fsck_test)";
  // Bytes stored under another blob's name (as a broken backend or a hand edit would).
  std::string real = bytes(3000), other = bytes(3000);
  s3client::Client client({backend_.rgw()->endpoint, backend_.rgw()->bucket,
                           {backend_.rgw()->access_key, backend_.rgw()->secret_key, "us-east-1"}});
  client.put("blobs/" + sha256_hex(real), {-1, 0, 0, other, sha256_hex(other)});
  EXPECT_THROW(store_->open(sha256(real)), std::runtime_error);
  auto again = backend_.open("b");
  EXPECT_THROW(again->open(sha256(real)), std::runtime_error) << "nothing wrong was cached";
}

INSTANTIATE_TEST_SUITE_P(Backends, BlobStoreContract, ::testing::ValuesIn(testing_support::kBlobBackends),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace herd

// Tests for the records of completed multipart uploads (MultipartRows::get_completed_multipart,
// WriteTxn::record_completed_multipart through Pool::complete_multipart): written in the very
// transaction that commits the object, never by a completion that fails, forgotten by age, and
// gone with their bucket or tenant.
#include <gtest/gtest.h>

#include <string>

#include "meta/errors.h"
#include "app/data_dir.h"
#include "util/clock.h"
#include "util/digest.h"
#include "util/hex.h"
#include "scratch_dir.h"

namespace herd {
namespace {

using testing_support::ScratchDir;

class CompletedMultipartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Tenant t{0, "alice", "AKIAALICE", "s", 0};
    ASSERT_TRUE(meta().create_tenant(t));
    tenant_ = t.id;
    ASSERT_EQ(meta().create_bucket(tenant_, "bucket"), CreateBucketResult::kCreated);
    bucket_ = meta().bucket_by_name("bucket")->id;
  }

  Pool& pool() { return data_.pool(); }
  MetaStore& meta() { return pool().meta(); }

  std::unique_ptr<Upload> upload_of(const std::string& bytes) {
    auto upload = pool().begin_upload(int64_t{1} << 30);
    upload->append(bytes.data(), bytes.size());
    upload->finish();
    return upload;
  }

  // Starts upload `id` for `key` with one staged part holding `bytes`.
  void start(const std::string& id, const std::string& key, const std::string& bytes) {
    meta().create_multipart(MultipartUpload{id, bucket_, key, {}, "", now_ms()});
    auto part = upload_of(bytes);
    pool().add_part(*part, PartRecord{id, 1, 0, to_hex(part->md5()), "", "", 0});
  }

  // Completes upload `id` for `key` as the object `bytes`, with parts signature `parts`.
  ObjectRecord complete(const std::string& id, const std::string& key, const std::string& bytes,
                        const std::string& parts = "signature") {
    auto whole = upload_of(bytes);
    CompletedUpload completed;
    completed.upload_id = id;
    completed.parts = parts;
    completed.checksum_type = "COMPOSITE";
    ObjectRecord o;
    o.bucket_id = bucket_;
    o.key = key;
    o.etag = to_hex(md5(bytes)) + "-1";
    o.meta.checksum_algorithm = "CRC32";
    o.meta.checksum = "AAAAAA==-1";
    return pool().complete_multipart(*whole, completed, o);
  }

  int64_t refcount(const std::string& bytes) {
    auto b = meta().get_blob(sha256(bytes));
    return b ? b->refcount : -1;
  }

  ScratchDir dir_;
  DataDir data_{dir_.path() + "/data"};
  int64_t tenant_ = 0, bucket_ = 0;
};

TEST_F(CompletedMultipartTest, CompletionIsRecordedWithTheObject) {
  start("up1", "video.mp4", "the whole video");
  const int64_t before = now_ms();
  ObjectRecord o = complete("up1", "video.mp4", "the whole video", "parts-sha");
  auto done = meta().get_completed_multipart("up1");
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->upload_id, "up1");
  EXPECT_EQ(done->bucket_id, bucket_);
  EXPECT_EQ(done->key, "video.mp4");
  EXPECT_EQ(done->parts, "parts-sha");
  EXPECT_EQ(done->etag, o.etag);
  EXPECT_EQ(done->checksum_algorithm, "CRC32");
  EXPECT_EQ(done->checksum, "AAAAAA==-1");
  EXPECT_EQ(done->checksum_type, "COMPOSITE");
  EXPECT_GE(done->completed_ms, before);
  EXPECT_EQ(done->completed_ms, meta().get_object(bucket_, "video.mp4")->modified_ms);
  EXPECT_FALSE(meta().get_multipart("up1").has_value());
  EXPECT_FALSE(meta().get_completed_multipart("up2").has_value());
}

TEST_F(CompletedMultipartTest, ASecondCompletionFailsAndTakesNoReference) {
  start("up1", "k", "bytes");
  complete("up1", "k", "bytes");
  EXPECT_THROW(complete("up1", "k", "bytes", "another signature"), NoSuchUploadError);
  EXPECT_EQ(refcount("bytes"), 1);
  EXPECT_EQ(meta().get_completed_multipart("up1")->parts, "signature") << "the failed completion recorded nothing";
}

TEST_F(CompletedMultipartTest, AFailedCompletionRecordsNothing) {
  start("up1", "k", "bytes");
  ASSERT_TRUE(meta().delete_bucket(bucket_) == false);  // holds an upload
  meta().delete_multipart("up1");                       // aborted meanwhile
  EXPECT_THROW(complete("up1", "k", "bytes"), NoSuchUploadError);
  EXPECT_FALSE(meta().get_completed_multipart("up1").has_value());
  EXPECT_FALSE(meta().get_object(bucket_, "k").has_value());
}

TEST_F(CompletedMultipartTest, RecordsAreForgottenByAge) {
  start("old", "a", "a bytes");
  complete("old", "a", "a bytes");
  EXPECT_EQ(pool().forget_completed_multiparts(60'000), 0);  // a minute's retention keeps it
  EXPECT_TRUE(meta().get_completed_multipart("old").has_value());
  const int64_t cutoff = now_ms() + 1;
  start("new", "b", "b bytes");
  EXPECT_EQ(meta().forget_completed_multiparts(cutoff), 1);
  EXPECT_FALSE(meta().get_completed_multipart("old").has_value());
  EXPECT_EQ(meta().forget_completed_multiparts(cutoff), 0);
  complete("new", "b", "b bytes");
  EXPECT_EQ(pool().forget_completed_multiparts(-1000), 1);  // everything completed until now
}

TEST_F(CompletedMultipartTest, RecordsGoWithTheirBucket) {
  start("up1", "k", "bytes");
  complete("up1", "k", "bytes");
  ASSERT_TRUE(pool().remove(bucket_, "k"));
  ASSERT_TRUE(pool().delete_bucket(bucket_));
  EXPECT_FALSE(meta().get_completed_multipart("up1").has_value());
  // A new bucket that happens to get the same id never sees them.
  ASSERT_EQ(meta().create_bucket(tenant_, "bucket"), CreateBucketResult::kCreated);
  EXPECT_FALSE(meta().get_completed_multipart("up1").has_value());
}

TEST_F(CompletedMultipartTest, RecordsGoWithTheirTenant) {
  start("up1", "k", "bytes");
  complete("up1", "k", "bytes");
  pool().delete_tenant(tenant_);
  EXPECT_FALSE(meta().get_completed_multipart("up1").has_value());
  EXPECT_FALSE(meta().tenant_by_id(tenant_).has_value());
}

}  // namespace
}  // namespace herd

// Tests for s3/access.h: what requesters other than the owner may read and list. Object reads
// follow the object's own ACL only; a bucket ACL grants listing (when the pool allows it).
#include "s3/access.h"

#include <gtest/gtest.h>

#include <string>

#include "s3/error.h"

namespace herd::s3 {
namespace {

Bucket bucket(const std::string& acl) {
  Bucket b;
  b.acl = acl;
  return b;
}

std::optional<ObjectRecord> object(const std::string& acl) {
  ObjectRecord o;
  o.key = "k";
  o.meta.acl = acl;
  return o;
}

// The error code readable_by_anyone throws, or "" when it allows the read.
std::string refusal(const Bucket& b, const std::optional<ObjectRecord>& o, const web::PublicOptions& options = {}) {
  try {
    readable_by_anyone(b, o, options);
  } catch (const Error& e) {
    return e.code;
  }
  return "";
}

TEST(AccessTest, PublicReadBucketsAreListableUnlessThePoolForbids) {
  web::PublicOptions options;
  EXPECT_TRUE(listable_by_anyone(bucket("public-read"), options));
  EXPECT_TRUE(listable_by_anyone(bucket("public-read-write"), options));
  EXPECT_FALSE(listable_by_anyone(bucket("private"), options));
  EXPECT_FALSE(listable_by_anyone(bucket("authenticated-read"), options));
  options.allow_bucket_listing = false;
  EXPECT_FALSE(listable_by_anyone(bucket("public-read"), options));
}

TEST(AccessTest, ObjectsFollowTheirOwnAclWhateverTheBucket) {
  for (const char* b : {"private", "public-read", "public-read-write"}) {
    EXPECT_EQ(refusal(bucket(b), object("public-read")), "") << b;
    EXPECT_EQ(refusal(bucket(b), object("public-read-write")), "") << b;
    for (const char* o : {"private", "authenticated-read", "bucket-owner-read"})
      EXPECT_EQ(refusal(bucket(b), object(o)), "AccessDenied") << b << " / " << o;
  }
}

TEST(AccessTest, MissingKeysAreNoSecretOnlyInListableBuckets) {
  EXPECT_EQ(refusal(bucket("public-read"), std::nullopt), "NoSuchKey");
  EXPECT_EQ(refusal(bucket("private"), std::nullopt), "AccessDenied");
  web::PublicOptions unlisted;
  unlisted.allow_bucket_listing = false;
  EXPECT_EQ(refusal(bucket("public-read"), std::nullopt, unlisted), "AccessDenied");
}

TEST(AccessTest, TheReadableObjectIsReturned) {
  auto o = object("public-read");
  EXPECT_EQ(&readable_by_anyone(bucket("private"), o, {}), &*o);
}

}  // namespace
}  // namespace herd::s3

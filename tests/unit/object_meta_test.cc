// Tests for s3/object_meta.h: the Content-Encoding an object keeps never names aws-chunked, the
// framing of the request that uploaded it.
#include "s3/object_meta.h"

#include <gtest/gtest.h>

namespace herd::s3 {
namespace {

TEST(StoredContentEncodingTest, AwsChunkedIsDropped) {
  EXPECT_EQ(stored_content_encoding("aws-chunked"), "");
  EXPECT_EQ(stored_content_encoding("gzip, aws-chunked"), "gzip");
  EXPECT_EQ(stored_content_encoding("aws-chunked,gzip"), "gzip");
  EXPECT_EQ(stored_content_encoding("gzip,aws-chunked,br"), "gzip, br");
  EXPECT_EQ(stored_content_encoding("AWS-Chunked"), "");
  EXPECT_EQ(stored_content_encoding(" aws-chunked , gzip "), "gzip");
}

TEST(StoredContentEncodingTest, OtherCodingsAreKept) {
  EXPECT_EQ(stored_content_encoding(""), "");
  EXPECT_EQ(stored_content_encoding("gzip"), "gzip");
  EXPECT_EQ(stored_content_encoding("gzip, br"), "gzip, br");
  EXPECT_EQ(stored_content_encoding("x-aws-chunked-like"), "x-aws-chunked-like");
  EXPECT_EQ(stored_content_encoding("gzip,,br"), "gzip, br");
}

}  // namespace
}  // namespace herd::s3

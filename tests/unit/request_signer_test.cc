// herd bench's client-side signer against the AWS S3 documentation's SigV4 examples
// (sig-v4-header-based-auth: GET Object and PUT Object).
#include "s3client/request_signer.h"

#include <gtest/gtest.h>

namespace herd::s3client {
namespace {

const Credentials kDocCredentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1"};
constexpr const char* kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(RequestSigner, DocumentedGetObject) {
  auto s = sign_request("GET", "examplebucket.s3.amazonaws.com", "/test.txt", {}, {{"range", "bytes=0-9"}},
                        kEmptySha256, kDocCredentials, "20130524T000000Z");
  EXPECT_EQ(s.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(s.amz_date, "20130524T000000Z");
  EXPECT_EQ(s.content_sha256, kEmptySha256);
}

TEST(RequestSigner, DocumentedPutObject) {
  auto s = sign_request("PUT", "examplebucket.s3.amazonaws.com", "/test$file.text", {},
                        {{"date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
                        "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072", kDocCredentials,
                        "20130524T000000Z");
  EXPECT_EQ(s.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
            "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(RequestSigner, QueryAndRegionChangeTheSignature) {
  auto a = sign_request("GET", "h", "/b", {{"list-type", "2"}}, {}, kEmptySha256, kDocCredentials, "20130524T000000Z");
  auto b = sign_request("GET", "h", "/b", {{"list-type", "1"}}, {}, kEmptySha256, kDocCredentials, "20130524T000000Z");
  Credentials other = kDocCredentials;
  other.region = "garage";
  auto c = sign_request("GET", "h", "/b", {{"list-type", "2"}}, {}, kEmptySha256, other, "20130524T000000Z");
  EXPECT_NE(a.authorization, b.authorization);
  EXPECT_NE(a.authorization, c.authorization);
  EXPECT_NE(c.authorization.find("/garage/s3/aws4_request"), std::string::npos);
}

}  // namespace
}  // namespace herd::s3client

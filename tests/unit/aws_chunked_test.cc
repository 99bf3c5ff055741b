// aws-chunked decoding against the AWS documentation's streaming examples
// (sigv4-streaming and sigv4-streaming-trailers: 66560 bytes of 'a' as 64 KiB + 1 KiB + 0).
#include "s3/aws_chunked.h"

#include <gtest/gtest.h>

#include "s3/error.h"
#include "s3/sigv4.h"

namespace herd::s3 {
namespace {

constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

ChunkSigning doc_signing(const std::string& seed) {
  auto cred = sigv4::parse_credential("AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request");
  return ChunkSigning{sigv4::signing_key(kSecret, *cred), "20130524T000000Z", cred->scope(), seed};
}

std::string chunk(size_t size, const std::string& signature) {
  std::ostringstream out;
  out << std::hex << size;
  std::string s = out.str();
  if (!signature.empty()) s += ";chunk-signature=" + signature;
  return s + "\r\n" + std::string(size, 'a') + (size ? "\r\n" : "");
}

const std::string kSeed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
const std::string kSig1 = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648";
const std::string kSig2 = "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497";
const std::string kSig3 = "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9";

std::string doc_body() { return chunk(65536, kSig1) + chunk(1024, kSig2) + chunk(0, kSig3) + "\r\n"; }

// Feeds `body` in pieces of `step` bytes; returns the decoded bytes.
std::string decode(AwsChunkedDecoder& d, const std::string& body, size_t step) {
  std::string out;
  for (size_t i = 0; i < body.size(); i += step) {
    size_t n = std::min(step, body.size() - i);
    d.feed(body.data() + i, n, [&](const char* p, size_t len) { out.append(p, len); });
  }
  return out;
}

TEST(AwsChunked, DocumentedSignedStreamDecodesInAnyPieceSize) {
  for (size_t step : {1ul, 7ul, 4096ul, 70000ul}) {
    AwsChunkedDecoder d(doc_signing(kSeed));
    EXPECT_EQ(decode(d, doc_body(), step), std::string(66560, 'a')) << step;
    EXPECT_TRUE(d.done());
    EXPECT_EQ(d.decoded_size(), 66560u);
    EXPECT_TRUE(d.trailers().empty());
  }
}

TEST(AwsChunked, DocumentedEncodedLengthMatches) { EXPECT_EQ(doc_body().size(), 66824u); }

TEST(AwsChunked, RejectsAlteredChunkSignature) {
  std::string bad = kSig2;
  bad[0] = bad[0] == '0' ? '1' : '0';
  std::string body = chunk(65536, kSig1) + chunk(1024, bad) + chunk(0, kSig3) + "\r\n";
  AwsChunkedDecoder d(doc_signing(kSeed));
  try {
    decode(d, body, 8192);
    FAIL() << "accepted a bad chunk signature";
  } catch (const Error& e) {
    EXPECT_EQ(e.code, "SignatureDoesNotMatch");
  }
}

TEST(AwsChunked, RejectsAlteredData) {
  std::string body = doc_body();
  body[100] = 'b';
  AwsChunkedDecoder d(doc_signing(kSeed));
  EXPECT_THROW(decode(d, body, 8192), Error);
}

TEST(AwsChunked, RejectsReorderedOrMissingChunks) {
  AwsChunkedDecoder d(doc_signing(kSeed));
  std::string body = chunk(1024, kSig2) + chunk(65536, kSig1) + chunk(0, kSig3) + "\r\n";
  EXPECT_THROW(decode(d, body, 8192), Error);
  AwsChunkedDecoder unsigned_chunks(doc_signing(kSeed));
  EXPECT_THROW(decode(unsigned_chunks, chunk(10, "") + chunk(0, "") + "\r\n", 8192), Error);
}

TEST(AwsChunked, TruncatedStreamIsNotDone) {
  std::string body = doc_body();
  AwsChunkedDecoder d(doc_signing(kSeed));
  decode(d, body.substr(0, body.size() - 40), 8192);
  EXPECT_FALSE(d.done());
}

TEST(AwsChunked, DocumentedSignedTrailer) {
  const std::string seed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
  std::string body = chunk(65536, "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2") +
                     chunk(1024, "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7") +
                     chunk(0, "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992") +
                     "x-amz-checksum-crc32c:sOO8/Q==\r\n"
                     "x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n"
                     "\r\n";
  AwsChunkedDecoder d(doc_signing(seed));
  EXPECT_EQ(decode(d, body, 1000), std::string(66560, 'a'));
  ASSERT_TRUE(d.done());
  ASSERT_EQ(d.trailers().size(), 1u);
  EXPECT_EQ(d.trailers()[0].first, "x-amz-checksum-crc32c");
  EXPECT_EQ(d.trailers()[0].second, "sOO8/Q==");

  std::string forged = body;
  forged.replace(forged.find("sOO8/Q=="), 8, "AAAAAA==");
  AwsChunkedDecoder d2(doc_signing(seed));
  EXPECT_THROW(decode(d2, forged, 1000), Error);
}

TEST(AwsChunked, UnsignedTrailerStream) {
  std::string body = "a\r\n0123456789\r\n3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
  AwsChunkedDecoder d(std::nullopt);
  EXPECT_EQ(decode(d, body, 3), "0123456789abc");
  EXPECT_TRUE(d.done());
  ASSERT_EQ(d.trailers().size(), 1u);
  EXPECT_EQ(d.trailers()[0].second, "AAAAAA==");
}

TEST(AwsChunked, BadFraming) {
  for (std::string body : {std::string("zz\r\nabc\r\n0\r\n\r\n"), std::string("3\r\nabcd\r\n0\r\n\r\n"),
                           std::string("3\nabc\r\n0\r\n\r\n"), std::string("3\r\nabc\r\n0\r\n\r\nextra"),
                           std::string("ffffffffffffffffff\r\n"), std::string(5000, '1')}) {
    AwsChunkedDecoder d(std::nullopt);
    EXPECT_THROW(decode(d, body, 7), Error) << body.substr(0, 40);
  }
}

}  // namespace
}  // namespace herd::s3

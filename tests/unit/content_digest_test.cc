// Digest names for the Fediverse: base58btc, digestMultibase and hashlinks against published
// vectors (Fedify's docs and the hashlink draft's appendix, via Mitra's tests), Repr-Digest.
#include <gtest/gtest.h>

#include "federation/content_digest.h"
#include "util/base58.h"
#include "util/digest.h"

namespace herd {
namespace {

using federation::HashlinkParse;

TEST(Base58, EncodesLeadingZerosAsOnes) {
  EXPECT_EQ(base58_encode(std::string("\0\0\x01", 3)), "112");
  EXPECT_EQ(base58_encode(""), "");
  EXPECT_EQ(base58_encode("\x39"), "z");  // 57, the last digit
  EXPECT_EQ(base58_encode("\x3a"), "21");  // 58
  EXPECT_EQ(base58_encode("hello world"), "StV1DL6CwTryKyV");
}

TEST(Base58, DecodesWhatItEncodes) {
  for (std::string bytes : {std::string("\0\0\xff\x01", 4), std::string("hello world"), sha256("x")}) {
    auto decoded = base58_decode(base58_encode(bytes));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, bytes);
  }
  EXPECT_FALSE(base58_decode("0OIl").has_value());  // not in the alphabet
}

TEST(ContentDigest, DigestMultibaseMatchesPublishedVectors) {
  EXPECT_EQ(federation::digest_multibase(sha256("")), "zQmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n");
  EXPECT_EQ(federation::digest_multibase(sha256("Hello World!")), "zQmWvQxTqbG2Z9HPJgG57jjwR154cKhbtJenbyYTWkjgF3e");
}

TEST(ContentDigest, HashlinksParseToTheirSha256) {
  auto parsed = federation::parse_hashlink("hl:zQmWvQxTqbG2Z9HPJgG57jjwR154cKhbtJenbyYTWkjgF3e");
  EXPECT_EQ(parsed.status, HashlinkParse::Status::kSha256);
  EXPECT_EQ(parsed.sha256, sha256("Hello World!"));
  EXPECT_EQ(federation::parse_hashlink(federation::digest_multibase(sha256("z"))).sha256, sha256("z"));
}

TEST(ContentDigest, BadHashlinksAreTold) {
  using S = HashlinkParse::Status;
  EXPECT_EQ(federation::parse_hashlink("hl:").status, S::kMalformed);
  EXPECT_EQ(federation::parse_hashlink("hl:QmWvQx").status, S::kMalformed);  // no multibase prefix
  EXPECT_EQ(federation::parse_hashlink("hl:zQmWvQxTqbG2Z9HPJgG57jjwR154cKhbtJenbyYTWkjgF3").status, S::kMalformed);
  EXPECT_EQ(federation::parse_hashlink("hl:zQmWvQxTqbG2Z9HPJgG57jjwR154cKhbtJenbyYTWkjgF3e:zCT5htke").status,
            S::kMalformed);  // metadata
  EXPECT_EQ(federation::parse_hashlink("hl:z0OIl").status, S::kMalformed);
  EXPECT_EQ(federation::parse_hashlink("hl:z" + std::string(16000, '2')).status, S::kMalformed);  // refused unread
  // A well-formed sha2-512 multihash (code 0x13, 64 bytes).
  std::string sha512_multihash = std::string{0x13, 0x40} + std::string(64, '\x07');
  EXPECT_EQ(federation::parse_hashlink("hl:z" + base58_encode(sha512_multihash)).status, S::kUnsupported);
}

TEST(ContentDigest, ReprDigestIsBase64InColons) {
  EXPECT_EQ(federation::repr_digest(sha256("")), "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:");
}

TEST(ContentDigest, DigestHeadersNameTheirSha256) {
  const std::string sha = sha256("");
  EXPECT_EQ(federation::sha256_from_digest_header("sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"), sha);
  EXPECT_EQ(federation::sha256_from_digest_header(
                "sha-512=:z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==:, "
                "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"),
            sha);
  EXPECT_EQ(federation::sha256_from_digest_header("SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="), sha);
  EXPECT_FALSE(federation::sha256_from_digest_header("sha-512=:abc=:"));
  EXPECT_FALSE(federation::sha256_from_digest_header("sha-256=:c2hvcnQ=:"));  // not 32 bytes
  EXPECT_FALSE(federation::sha256_from_digest_header(""));
}

}  // namespace
}  // namespace herd

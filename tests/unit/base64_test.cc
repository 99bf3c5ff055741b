// Tests for util/base64.h: standard padded base64 (RFC 4648 §4); decoding accepts only the
// canonical encoding (what base64_encode produces) and rejects everything else.
#include "util/base64.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace herd {
namespace {

TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded) << plain;
    auto decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, plain) << encoded;
  }
}

TEST(Base64Test, UsesTheStandardAlphabetWithPlusAndSlash) {
  EXPECT_EQ(base64_encode("\xfb\xff\xbf"), "+/+/");
  EXPECT_EQ(base64_encode(std::string("\x00\x00\x00", 3)), "AAAA");
  EXPECT_EQ(base64_encode("\xff\xff\xff"), "////");
  EXPECT_EQ(base64_decode("+/+/"), std::string("\xfb\xff\xbf"));
  EXPECT_EQ(base64_decode("AA=="), std::string("\x00", 1));
  EXPECT_EQ(base64_decode("AAA="), std::string("\x00\x00", 2));
}

TEST(Base64Test, RoundTripsRandomBytesOfEveryLengthUpTo64) {
  std::mt19937 rng(12345);
  for (size_t len = 0; len <= 64; ++len) {
    for (int trial = 0; trial < 8; ++trial) {
      std::string bytes;
      for (size_t i = 0; i < len; ++i) bytes.push_back(static_cast<char>(rng() & 0xFF));
      std::string encoded = base64_encode(bytes);
      EXPECT_EQ(encoded.size(), 4 * ((len + 2) / 3)) << len;
      auto decoded = base64_decode(encoded);
      ASSERT_TRUE(decoded.has_value()) << encoded;
      EXPECT_EQ(*decoded, bytes) << encoded;
    }
  }
}

TEST(Base64Test, RoundTripsEveryByteValue) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes);
  // A 16-byte MD5 digest, as in Content-MD5.
  EXPECT_EQ(base64_encode(bytes.substr(0, 16)), "AAECAwQFBgcICQoLDA0ODw==");
}

TEST(Base64Test, RejectsLengthsThatAreNotAMultipleOfFour) {
  for (const char* s : {"Z", "Zg", "Zg=", "Zm9", "Zm9vY", "Zm9vYm", "Zm9vYmF", "Zg===", "="}) {
    EXPECT_FALSE(base64_decode(s).has_value()) << s;
  }
}

TEST(Base64Test, RejectsCharactersOutsideTheAlphabet) {
  for (const char* s : {"Zm9v!A==", "Zm9 ", " Zm9", "Zm9v\n", "Zm\r\n9v", "Zm-_", "Zm9v\tAAA", "Zm.v", "Zm9\x80",
                        "\xc3\xa9Zm"}) {
    EXPECT_FALSE(base64_decode(s).has_value()) << s;
  }
  EXPECT_FALSE(base64_decode(std::string("Zm9\0", 4)).has_value());
}

TEST(Base64Test, RejectsPaddingAnywhereButTheEnd) {
  // '=' may only appear as one or two final characters.
  for (const char* s : {"=Zg=", "Z=g=", "Zg=a", "Zm=v", "====", "Z===", "Zm9v====", "Zg==Zm9v", "Zg==Zg=="}) {
    EXPECT_FALSE(base64_decode(s).has_value()) << s;
  }
}

TEST(Base64Test, RejectsNonCanonicalTrailingBits) {
  // The bits after the last whole byte must be zero: "Zg==" is canonical for "f", "Zh==" is not.
  for (const char* s : {"Zh==", "Zm9=", "Zm/=", "AB==", "AAB="}) {
    EXPECT_FALSE(base64_decode(s).has_value()) << s;
  }
}

}  // namespace
}  // namespace herd

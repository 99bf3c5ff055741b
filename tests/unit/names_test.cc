// Tests for s3/names.h: S3 bucket naming rules and the UTF-8 check applied to object keys.
#include "s3/names.h"

#include <gtest/gtest.h>

#include <string>

namespace herd::s3 {
namespace {

// --- valid_bucket_name

TEST(BucketNameTest, AcceptsOrdinaryNames) {
  for (const char* n : {"abc", "my-bucket", "my.bucket", "bucket1", "1bucket", "123", "a-b", "a.b", "a--b",
                        "docexamplebucket1", "log-delivery-march-2020", "my-hosted-content",
                        "xn-a", "sthree", "xnbucket", "a-s3alias-b", "s3alias", "ol-s3", "x-ol-s3",
                        "1.2.3.4a", "1.2.3", "1.2.3.4.5", "a.1.2.3"}) {
    EXPECT_TRUE(valid_bucket_name(n)) << n;
  }
}

TEST(BucketNameTest, LengthIsThreeToSixtyThree) {
  EXPECT_FALSE(valid_bucket_name(""));
  EXPECT_FALSE(valid_bucket_name("a"));
  EXPECT_FALSE(valid_bucket_name("ab"));
  EXPECT_TRUE(valid_bucket_name("abc"));
  EXPECT_TRUE(valid_bucket_name(std::string(63, 'a')));
  EXPECT_FALSE(valid_bucket_name(std::string(64, 'a')));
  EXPECT_FALSE(valid_bucket_name(std::string(1000, 'a')));
}

TEST(BucketNameTest, OnlyLowerCaseLettersDigitsDotsAndHyphens) {
  for (const char* n : {"MyBucket", "myBucket", "ABC", "my_bucket", "my bucket", "my/bucket", "my:bucket",
                        "buck\xc3\xa9t", "bucket!", "bu*ket", "bu~ket", "bu+ket"}) {
    EXPECT_FALSE(valid_bucket_name(n)) << n;
  }
  EXPECT_FALSE(valid_bucket_name(std::string("ab\0c", 4)));
  EXPECT_FALSE(valid_bucket_name("ab\xff"));
}

TEST(BucketNameTest, StartsAndEndsWithALetterOrDigit) {
  for (const char* n : {"-abc", "abc-", ".abc", "abc.", "-ab-", ".ab.", "--a", "a.."}) {
    EXPECT_FALSE(valid_bucket_name(n)) << n;
  }
  EXPECT_TRUE(valid_bucket_name("0ab"));
  EXPECT_TRUE(valid_bucket_name("ab9"));
}

TEST(BucketNameTest, NoAdjacentPeriods) {
  EXPECT_FALSE(valid_bucket_name("my..bucket"));
  EXPECT_FALSE(valid_bucket_name("a...b"));
  EXPECT_TRUE(valid_bucket_name("my.bucket.name"));
}

TEST(BucketNameTest, NotShapedLikeAnIpv4Address) {
  for (const char* n : {"192.168.5.4", "1.2.3.4", "10.0.0.1", "255.255.255.255", "999.999.999.999", "0.0.0.0"}) {
    EXPECT_FALSE(valid_bucket_name(n)) << n;
  }
}

TEST(BucketNameTest, ReservedPrefixesAndSuffixes) {
  for (const char* n : {"xn--bucket", "xn--", "xn--abc", "sthree-bucket", "sthree-", "sthree-configurator",
                        "bucket-s3alias", "a-s3alias", "bucket--ol-s3", "a--ol-s3"}) {
    EXPECT_FALSE(valid_bucket_name(n)) << n;
  }
}

// --- valid_utf8

TEST(Utf8Test, AcceptsAsciiAndEmpty) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("hello/world.txt"));
  std::string all_ascii;
  for (int c = 1; c < 0x80; ++c) all_ascii.push_back(static_cast<char>(c));
  EXPECT_TRUE(valid_utf8(all_ascii));
}

TEST(Utf8Test, AcceptsWellFormedMultibyteSequences) {
  EXPECT_TRUE(valid_utf8("\xc2\x80"));                  // U+0080, smallest 2-byte
  EXPECT_TRUE(valid_utf8("caf\xc3\xa9"));               // é
  EXPECT_TRUE(valid_utf8("\xdf\xbf"));                  // U+07FF, largest 2-byte
  EXPECT_TRUE(valid_utf8("\xe0\xa0\x80"));              // U+0800, smallest 3-byte
  EXPECT_TRUE(valid_utf8("\xe6\x97\xa5\xe6\x9c\xac"));  // 日本
  EXPECT_TRUE(valid_utf8("\xed\x9f\xbf"));              // U+D7FF, just below the surrogates
  EXPECT_TRUE(valid_utf8("\xee\x80\x80"));              // U+E000, just above them
  EXPECT_TRUE(valid_utf8("\xef\xbf\xbd"));              // U+FFFD
  EXPECT_TRUE(valid_utf8("\xef\xbf\xbf"));              // U+FFFF (a noncharacter, still well-formed)
  EXPECT_TRUE(valid_utf8("\xf0\x90\x80\x80"));          // U+10000, smallest 4-byte
  EXPECT_TRUE(valid_utf8("\xf0\x9f\x98\x80"));          // 😀
  EXPECT_TRUE(valid_utf8("\xf4\x8f\xbf\xbf"));          // U+10FFFF, the largest code point
  EXPECT_TRUE(valid_utf8("a/\xf0\x9f\x98\x80/\xc3\xa9/\xe6\x97\xa5.txt"));
}

TEST(Utf8Test, RejectsNul) {
  EXPECT_FALSE(valid_utf8(std::string("\0", 1)));
  EXPECT_FALSE(valid_utf8(std::string("a\0b", 3)));
  EXPECT_FALSE(valid_utf8(std::string("abc\0", 4)));
  EXPECT_FALSE(valid_utf8("\xc0\x80"));  // "modified UTF-8" NUL is overlong
}

TEST(Utf8Test, RejectsOverlongEncodings) {
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));              // '/' in 2 bytes
  EXPECT_FALSE(valid_utf8("\xc1\xbf"));              // U+007F in 2 bytes
  EXPECT_FALSE(valid_utf8("\xe0\x80\xaf"));          // '/' in 3 bytes
  EXPECT_FALSE(valid_utf8("\xe0\x9f\xbf"));          // U+07FF in 3 bytes
  EXPECT_FALSE(valid_utf8("\xf0\x80\x80\xaf"));      // '/' in 4 bytes
  EXPECT_FALSE(valid_utf8("\xf0\x8f\xbf\xbf"));      // U+FFFF in 4 bytes
  EXPECT_FALSE(valid_utf8("\xf8\x80\x80\x80\xaf"));  // 5-byte form
  EXPECT_FALSE(valid_utf8("\xfc\x80\x80\x80\x80\xaf"));  // 6-byte form
}

TEST(Utf8Test, RejectsEncodedSurrogates) {
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));  // U+D800
  EXPECT_FALSE(valid_utf8("\xed\xad\xbf"));  // U+DB7F
  EXPECT_FALSE(valid_utf8("\xed\xb0\x80"));  // U+DC00
  EXPECT_FALSE(valid_utf8("\xed\xbf\xbf"));  // U+DFFF
  EXPECT_FALSE(valid_utf8("\xed\xa0\xbd\xed\xb8\x80"));  // CESU-8 surrogate pair for 😀
  // Every surrogate.
  for (unsigned cp = 0xD800; cp <= 0xDFFF; ++cp) {
    std::string s = {static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
                     static_cast<char>(0x80 | (cp & 0x3F))};
    ASSERT_FALSE(valid_utf8(s)) << std::hex << cp;
  }
}

TEST(Utf8Test, RejectsCodePointsAbove10FFFF) {
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(valid_utf8("\xf5\x80\x80\x80"));
  EXPECT_FALSE(valid_utf8("\xf7\xbf\xbf\xbf"));  // U+1FFFFF
}

TEST(Utf8Test, RejectsInvalidBytes) {
  for (int b : {0x80, 0xbf, 0xc0, 0xc1, 0xf5, 0xf8, 0xfe, 0xff}) {
    std::string s = "a";
    s.push_back(static_cast<char>(b));
    s += "a";
    EXPECT_FALSE(valid_utf8(s)) << std::hex << b;
  }
}

TEST(Utf8Test, RejectsTruncatedAndInterruptedSequences) {
  EXPECT_FALSE(valid_utf8("\xc3"));
  EXPECT_FALSE(valid_utf8("caf\xc3"));
  EXPECT_FALSE(valid_utf8("\xe6\x97"));
  EXPECT_FALSE(valid_utf8("\xf0\x9f\x98"));
  EXPECT_FALSE(valid_utf8("\xf0\x9f"));
  EXPECT_FALSE(valid_utf8("\xf0"));
  EXPECT_FALSE(valid_utf8("\xc3" "a"));          // continuation missing
  EXPECT_FALSE(valid_utf8("\xe6\x97" "a"));
  EXPECT_FALSE(valid_utf8("\xf0\x9f\x98" "a"));
  EXPECT_FALSE(valid_utf8("\xc3\xc3\xa9"));      // a lead byte where a continuation belongs
  EXPECT_FALSE(valid_utf8("\xa9"));              // lone continuation
  EXPECT_FALSE(valid_utf8("\xc3\xa9\xa9"));      // extra continuation
}

TEST(Utf8Test, AgreesWithAReferenceDecoderOnAllTwoAndThreeByteSequences) {
  // Exhaustive over every 2-byte string and every 3-byte string with an E0–EF lead.
  auto reference = [](const std::string& s) {
    // Independent check: decode per Unicode Table 3-7 (well-formed byte sequences).
    size_t i = 0;
    auto in = [&](size_t k, int lo, int hi) {
      if (k >= s.size()) return false;
      int b = static_cast<unsigned char>(s[k]);
      return b >= lo && b <= hi;
    };
    while (i < s.size()) {
      int b = static_cast<unsigned char>(s[i]);
      if (b == 0) return false;
      if (b < 0x80) { i += 1; continue; }
      if (b >= 0xC2 && b <= 0xDF && in(i + 1, 0x80, 0xBF)) { i += 2; continue; }
      if (b == 0xE0 && in(i + 1, 0xA0, 0xBF) && in(i + 2, 0x80, 0xBF)) { i += 3; continue; }
      if (((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) && in(i + 1, 0x80, 0xBF) && in(i + 2, 0x80, 0xBF)) {
        i += 3;
        continue;
      }
      if (b == 0xED && in(i + 1, 0x80, 0x9F) && in(i + 2, 0x80, 0xBF)) { i += 3; continue; }
      if (b == 0xF0 && in(i + 1, 0x90, 0xBF) && in(i + 2, 0x80, 0xBF) && in(i + 3, 0x80, 0xBF)) { i += 4; continue; }
      if (b >= 0xF1 && b <= 0xF3 && in(i + 1, 0x80, 0xBF) && in(i + 2, 0x80, 0xBF) && in(i + 3, 0x80, 0xBF)) {
        i += 4;
        continue;
      }
      if (b == 0xF4 && in(i + 1, 0x80, 0x8F) && in(i + 2, 0x80, 0xBF) && in(i + 3, 0x80, 0xBF)) { i += 4; continue; }
      return false;
    }
    return true;
  };
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      std::string s = {static_cast<char>(a), static_cast<char>(b)};
      ASSERT_EQ(valid_utf8(s), reference(s)) << std::hex << a << " " << b;
    }
  }
  for (int a = 0xE0; a <= 0xEF; ++a) {
    for (int b = 0x80; b < 0xC0; ++b) {
      for (int c = 0; c < 256; ++c) {
        std::string s = {static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)};
        ASSERT_EQ(valid_utf8(s), reference(s)) << std::hex << a << " " << b << " " << c;
      }
    }
  }
  for (int a = 0xF0; a <= 0xF7; ++a) {
    for (int b = 0x80; b < 0xC0; ++b) {
      std::string s = {static_cast<char>(a), static_cast<char>(b), '\x80', '\xbf'};
      ASSERT_EQ(valid_utf8(s), reference(s)) << std::hex << a << " " << b;
    }
  }
}

}  // namespace
}  // namespace herd::s3

// Tests for util/uri.h: SigV4's UriEncode (RFC 3986 unreserved set, upper-case %XX) and decoding.
#include "util/uri.h"

#include <gtest/gtest.h>

#include <string>

namespace herd {
namespace {

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

TEST(UriEncodeTest, LeavesTheUnreservedSetAlone) {
  const std::string unreserved =
      "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  EXPECT_EQ(uri_encode(unreserved), unreserved);
  EXPECT_EQ(uri_encode(unreserved, /*keep_slash=*/true), unreserved);
  EXPECT_EQ(uri_encode(""), "");
}

TEST(UriEncodeTest, EncodesEveryOtherByteAsUpperCasePercentHex) {
  static constexpr char digits[] = "0123456789ABCDEF";
  for (int i = 0; i < 256; ++i) {
    const unsigned char c = static_cast<unsigned char>(i);
    const std::string in(1, static_cast<char>(c));
    if (is_unreserved(c)) {
      EXPECT_EQ(uri_encode(in), in) << "byte " << i;
    } else {
      const std::string want = {'%', digits[c >> 4], digits[c & 15]};
      EXPECT_EQ(uri_encode(in), want) << "byte " << i;
    }
  }
}

TEST(UriEncodeTest, CharactersThatFormEncodingGetsWrong) {
  EXPECT_EQ(uri_encode(" "), "%20");  // never '+'
  EXPECT_EQ(uri_encode("+"), "%2B");
  EXPECT_EQ(uri_encode("*"), "%2A");  // not left alone as in Java's URLEncoder
  EXPECT_EQ(uri_encode("%"), "%25");
  EXPECT_EQ(uri_encode("="), "%3D");
  EXPECT_EQ(uri_encode("&"), "%26");
  EXPECT_EQ(uri_encode("$"), "%24");
  EXPECT_EQ(uri_encode("a b!'()*~._-"), "a%20b%21%27%28%29%2A~._-");
}

TEST(UriEncodeTest, SlashIsEncodedUnlessKept) {
  EXPECT_EQ(uri_encode("a/b"), "a%2Fb");
  EXPECT_EQ(uri_encode("/"), "%2F");
  EXPECT_EQ(uri_encode("a/b", /*keep_slash=*/true), "a/b");
  EXPECT_EQ(uri_encode("//a//", /*keep_slash=*/true), "//a//");
  EXPECT_EQ(uri_encode("/bucket/my key/a+b", /*keep_slash=*/true), "/bucket/my%20key/a%2Bb");
  // keep_slash only affects '/', not backslash or the already-encoded form.
  EXPECT_EQ(uri_encode("a\\b", /*keep_slash=*/true), "a%5Cb");
  EXPECT_EQ(uri_encode("a%2Fb", /*keep_slash=*/true), "a%252Fb");
}

TEST(UriEncodeTest, EncodesUtf8BytesIndividually) {
  EXPECT_EQ(uri_encode("\xC3\xBC"), "%C3%BC");                 // U+00FC
  EXPECT_EQ(uri_encode("\xE1\x88\xB4"), "%E1%88%B4");          // U+1234, as in the AWS get-utf8 vector
  EXPECT_EQ(uri_encode("\xF0\x9F\x98\x80"), "%F0%9F%98%80");   // U+1F600
  EXPECT_EQ(uri_encode("/\xE9\x9B\xAA.json", true), "/%E9%9B%AA.json");
  EXPECT_EQ(uri_encode(std::string("\x00", 1)), "%00");
}

TEST(UriDecodeTest, DecodesEscapesInEitherCase) {
  EXPECT_EQ(uri_decode("%41"), "A");
  EXPECT_EQ(uri_decode("a%2Fb"), "a/b");
  EXPECT_EQ(uri_decode("a%2fb"), "a/b");
  EXPECT_EQ(uri_decode("%E1%88%B4"), "\xE1\x88\xB4");
  EXPECT_EQ(uri_decode("%e1%88%b4"), "\xE1\x88\xB4");
  EXPECT_EQ(uri_decode("%00"), std::string("\x00", 1));
  EXPECT_EQ(uri_decode("%25"), "%");
  EXPECT_EQ(uri_decode("%2525"), "%25");  // decodes once only
  EXPECT_EQ(uri_decode(""), "");
  EXPECT_EQ(uri_decode("plain"), "plain");
  EXPECT_EQ(uri_decode("x%41"), "xA");  // escape at the very end
}

TEST(UriDecodeTest, PlusIsSpaceOnlyWhenAsked) {
  EXPECT_EQ(uri_decode("a+b"), "a+b");
  EXPECT_EQ(uri_decode("a+b", /*plus_is_space=*/true), "a b");
  EXPECT_EQ(uri_decode("a%2Bb", /*plus_is_space=*/true), "a+b");
  EXPECT_EQ(uri_decode("a%20b"), "a b");
}

TEST(UriDecodeTest, RejectsMalformedEscapes) {
  EXPECT_FALSE(uri_decode("%").has_value());
  EXPECT_FALSE(uri_decode("%4").has_value());
  EXPECT_FALSE(uri_decode("%zz").has_value());
  EXPECT_FALSE(uri_decode("%4g").has_value());
  EXPECT_FALSE(uri_decode("%g4").has_value());
  EXPECT_FALSE(uri_decode("abc%").has_value());
  EXPECT_FALSE(uri_decode("abc%4").has_value());
  EXPECT_FALSE(uri_decode("%%41").has_value());
  EXPECT_FALSE(uri_decode("% 41").has_value());
  EXPECT_FALSE(uri_decode("%+1", /*plus_is_space=*/true).has_value());
}

TEST(UriRoundTripTest, DecodeInvertsEncodeForEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  EXPECT_EQ(uri_decode(uri_encode(all)), all);
  EXPECT_EQ(uri_decode(uri_encode(all, true)), all);
  EXPECT_EQ(uri_decode(uri_encode(all), true), all);  // encode never emits '+'
}

}  // namespace
}  // namespace herd

// Tests for util/hex.h: lower-case hex encoding, decoding, and the lower-hex check used on signatures.
#include "util/hex.h"

#include <gtest/gtest.h>

#include <string>

namespace herd {
namespace {

std::string all_bytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
  return s;
}

TEST(HexTest, EncodesLowerCaseTwoCharactersPerByte) {
  EXPECT_EQ(to_hex(""), "");
  EXPECT_EQ(to_hex(std::string("\x00", 1)), "00");
  EXPECT_EQ(to_hex("\x01\x7f\x80\xfe\xff"), "017f80feff");
  EXPECT_EQ(to_hex("Hello"), "48656c6c6f");
  EXPECT_EQ(to_hex(all_bytes()).size(), 512u);
}

TEST(HexTest, RoundTripsEveryByteValue) {
  const std::string bytes = all_bytes();
  auto decoded = from_hex(to_hex(bytes));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, bytes);
}

TEST(HexTest, DecodesEitherCase) {
  EXPECT_EQ(from_hex("deadbeef"), std::string("\xde\xad\xbe\xef"));
  EXPECT_EQ(from_hex("DEADBEEF"), std::string("\xde\xad\xbe\xef"));
  EXPECT_EQ(from_hex("DeAdBeEf"), std::string("\xde\xad\xbe\xef"));
  EXPECT_EQ(from_hex(""), std::string());
  EXPECT_EQ(from_hex("00"), std::string("\x00", 1));
}

TEST(HexTest, RejectsOddLength) {
  EXPECT_FALSE(from_hex("0").has_value());
  EXPECT_FALSE(from_hex("abc").has_value());
  EXPECT_FALSE(from_hex("deadbee").has_value());
}

TEST(HexTest, RejectsNonHexCharacters) {
  EXPECT_FALSE(from_hex("zz").has_value());
  EXPECT_FALSE(from_hex("0g").has_value());
  EXPECT_FALSE(from_hex("g0").has_value());
  EXPECT_FALSE(from_hex(" 0").has_value());
  EXPECT_FALSE(from_hex("0x").has_value());
  EXPECT_FALSE(from_hex("-1").has_value());
  EXPECT_FALSE(from_hex(std::string("0\x00", 2)).has_value());
  EXPECT_FALSE(from_hex("abcdef0:").has_value());  // ':' is the byte after '9'
  EXPECT_FALSE(from_hex("abcdef0@").has_value());  // '@' is the byte before 'A'
  EXPECT_FALSE(from_hex("abcdef0`").has_value());  // '`' is the byte before 'a'
}

TEST(HexTest, IsLowerHexChecksLengthAndAlphabet) {
  const std::string sig = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
  EXPECT_TRUE(is_lower_hex(sig, 64));
  EXPECT_FALSE(is_lower_hex(sig, 63));
  EXPECT_FALSE(is_lower_hex(sig, 65));
  EXPECT_FALSE(is_lower_hex(sig.substr(0, 63), 64));
  EXPECT_FALSE(is_lower_hex(sig + "0", 64));

  std::string upper = sig;
  upper[1] = 'F';
  EXPECT_FALSE(is_lower_hex(upper, 64));
  std::string bad = sig;
  bad[63] = 'g';
  EXPECT_FALSE(is_lower_hex(bad, 64));

  EXPECT_TRUE(is_lower_hex("", 0));
  EXPECT_TRUE(is_lower_hex("0123456789abcdef", 16));
  EXPECT_FALSE(is_lower_hex("0123456789ABCDEF", 16));
  EXPECT_FALSE(is_lower_hex("0123456789abcde ", 16));
}

}  // namespace
}  // namespace herd

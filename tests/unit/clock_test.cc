// Tests for util/clock.h: the SigV4 basic ISO 8601 form, RFC 1123 HTTP dates, and listing timestamps.
#include "util/clock.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace herd {
namespace {

// 2013-05-24T00:00:00Z, the timestamp of the AWS S3 SigV4 examples.
constexpr int64_t kExampleEpoch = 1369353600;

TEST(AmzDateTest, ParsesTheS3ExampleDate) {
  EXPECT_EQ(parse_amz_date("20130524T000000Z"), kExampleEpoch);
  EXPECT_EQ(parse_amz_date("19700101T000000Z"), 0);
  EXPECT_EQ(parse_amz_date("20150830T123600Z"), 1440938160);  // the aws-sig-v4-test-suite date
  EXPECT_EQ(parse_amz_date("20240229T123456Z"), 1709210096);  // leap day
  EXPECT_EQ(parse_amz_date("19991231T235959Z"), 946684799);
  EXPECT_EQ(parse_amz_date("20380119T031408Z"), 2147483648);  // past 32-bit time_t
}

TEST(AmzDateTest, FormatsAndRoundTrips) {
  EXPECT_EQ(format_amz_date(kExampleEpoch), "20130524T000000Z");
  EXPECT_EQ(format_amz_date(0), "19700101T000000Z");
  EXPECT_EQ(format_amz_date(1709210096), "20240229T123456Z");
  for (int64_t t : {int64_t{0}, int64_t{1}, kExampleEpoch, int64_t{946684799}, int64_t{1709210096},
                    int64_t{2147483648}, int64_t{4102444799}}) {
    auto parsed = parse_amz_date(format_amz_date(t));
    ASSERT_TRUE(parsed.has_value()) << t;
    EXPECT_EQ(*parsed, t);
  }
  for (const char* s : {"20130524T000000Z", "20001231T235959Z", "20240229T000000Z"}) {
    auto parsed = parse_amz_date(s);
    ASSERT_TRUE(parsed.has_value()) << s;
    EXPECT_EQ(format_amz_date(*parsed), s);
  }
}

TEST(AmzDateTest, RejectsMalformedStrings) {
  for (const char* s : {
           "",
           "20130524T000000",      // no Z
           "20130524T000000z",     // lower-case z
           "20130524t000000Z",     // lower-case t
           "20130524 000000Z",     // space instead of T
           "2013-05-24T00:00:00Z", // extended ISO 8601
           "20130524T000000ZZ",    // trailing garbage
           " 20130524T000000Z",    // leading space
           "2013052T000000Z",      // short date
           "2013052aT000000Z",     // non-digit
           "20130524T0000-0Z",     // non-digit in time
           "20131324T000000Z",     // month 13
           "20130024T000000Z",     // month 0
           "20130500T000000Z",     // day 0
           "20130532T000000Z",     // day 32
           "20130524T240000Z",     // hour 24
           "20130524T006000Z",     // minute 60
           "20130524T000061Z",     // second 61
           "Fri, 24 May 2013 00:00:00 GMT",
       }) {
    EXPECT_FALSE(parse_amz_date(s).has_value()) << s;
  }
}

// Disabled: parse_amz_date validates day <= 31 regardless of the month and lets timegm normalise, so
// "20130230T000000Z" is accepted as 2013-03-02. See the bug report; enable once fixed.
TEST(AmzDateTest, RejectsDaysPastTheEndOfTheMonth) {
  EXPECT_FALSE(parse_amz_date("20130230T000000Z").has_value());  // Feb 30
  EXPECT_FALSE(parse_amz_date("20130229T000000Z").has_value());  // 2013 is not a leap year
  EXPECT_FALSE(parse_amz_date("20130431T000000Z").has_value());  // Apr 31
}

TEST(HttpDateTest, ParsesAndFormatsTheS3ExampleDate) {
  // The Date header of the AWS S3 "PUT Object" SigV4 example.
  EXPECT_EQ(parse_http_date("Fri, 24 May 2013 00:00:00 GMT"), kExampleEpoch);
  EXPECT_EQ(format_http_date(kExampleEpoch), "Fri, 24 May 2013 00:00:00 GMT");
  EXPECT_EQ(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(format_http_date(1709210096), "Thu, 29 Feb 2024 12:34:56 GMT");
  EXPECT_EQ(format_http_date(946684799), "Fri, 31 Dec 1999 23:59:59 GMT");
}

TEST(HttpDateTest, RoundTrips) {
  for (int64_t t : {int64_t{0}, kExampleEpoch, int64_t{946684799}, int64_t{1709210096},
                    int64_t{2147483648}}) {
    auto parsed = parse_http_date(format_http_date(t));
    ASSERT_TRUE(parsed.has_value()) << t;
    EXPECT_EQ(*parsed, t);
  }
}

TEST(HttpDateTest, RejectsMalformedStrings) {
  for (const char* s : {
           "",
           "Fri, 24 May 2013 00:00:00",          // no zone
           "Fri, 24 May 2013 00:00:00 GMT x",    // trailing garbage
           "Fri, 24 May 2013 00:00:00 PST",      // not GMT
           "Fri, 24 Foo 2013 00:00:00 GMT",      // bad month
           "Fri, 24 May 2013 25:00:00 GMT",      // bad hour
           "2013-05-24T00:00:00Z",
           "20130524T000000Z",
       }) {
    EXPECT_FALSE(parse_http_date(s).has_value()) << s;
  }
}

TEST(Iso8601MsTest, FormatsMilliseconds) {
  EXPECT_EQ(format_iso8601_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_iso8601_ms(kExampleEpoch * 1000), "2013-05-24T00:00:00.000Z");
  EXPECT_EQ(format_iso8601_ms(kExampleEpoch * 1000 + 123), "2013-05-24T00:00:00.123Z");
  EXPECT_EQ(format_iso8601_ms(kExampleEpoch * 1000 + 7), "2013-05-24T00:00:00.007Z");
  EXPECT_EQ(format_iso8601_ms(int64_t{1709210096} * 1000 + 999), "2024-02-29T12:34:56.999Z");
}

TEST(NowMsTest, IsAPlausibleWallClock) {
  const int64_t a = now_ms();
  const int64_t b = now_ms();
  EXPECT_GT(a, int64_t{1577836800} * 1000);  // after 2020-01-01
  EXPECT_LE(a, b);
  // The formatted form of now parses back to the same second.
  const int64_t s = a / 1000;
  EXPECT_EQ(parse_amz_date(format_amz_date(s)), s);
}

}  // namespace
}  // namespace herd

// Tests for s3/range.h: a single HTTP byte range (RFC 9110 §14) applied to an object of known
// size: partial, whole (header ignored) or unsatisfiable (416).
#include "s3/range.h"

#include <gtest/gtest.h>

#include <string>

namespace herd::s3 {
namespace {

using Kind = RangeResult::Kind;

::testing::AssertionResult IsPartial(const RangeResult& r, int64_t first, int64_t length) {
  if (r.kind != Kind::kPartial) return ::testing::AssertionFailure() << "kind is " << static_cast<int>(r.kind);
  if (r.range.first != first || r.range.length != length)
    return ::testing::AssertionFailure() << "range is first=" << r.range.first << " length=" << r.range.length;
  return ::testing::AssertionSuccess();
}

bool IsWhole(const RangeResult& r) { return r.kind == Kind::kWhole; }
bool IsUnsatisfiable(const RangeResult& r) { return r.kind == Kind::kUnsatisfiable; }

TEST(RangeTest, ClosedRange) {
  EXPECT_TRUE(IsPartial(apply_range("bytes=0-9", 100), 0, 10));
  EXPECT_TRUE(IsPartial(apply_range("bytes=10-19", 100), 10, 10));
  EXPECT_TRUE(IsPartial(apply_range("bytes=0-0", 100), 0, 1));
  EXPECT_TRUE(IsPartial(apply_range("bytes=99-99", 100), 99, 1));
  EXPECT_TRUE(IsPartial(apply_range("bytes=0-99", 100), 0, 100));
}

TEST(RangeTest, OpenEndedRange) {
  EXPECT_TRUE(IsPartial(apply_range("bytes=5-", 100), 5, 95));
  EXPECT_TRUE(IsPartial(apply_range("bytes=0-", 100), 0, 100));
  EXPECT_TRUE(IsPartial(apply_range("bytes=99-", 100), 99, 1));
}

TEST(RangeTest, SuffixRange) {
  EXPECT_TRUE(IsPartial(apply_range("bytes=-5", 100), 95, 5));
  EXPECT_TRUE(IsPartial(apply_range("bytes=-1", 100), 99, 1));
  EXPECT_TRUE(IsPartial(apply_range("bytes=-100", 100), 0, 100));
}

TEST(RangeTest, SuffixLongerThanTheObjectIsTheWholeObjectAsPartial) {
  EXPECT_TRUE(IsPartial(apply_range("bytes=-500", 100), 0, 100));
  EXPECT_TRUE(IsPartial(apply_range("bytes=-2", 1), 0, 1));
}

TEST(RangeTest, LastBeyondTheEndClamps) {
  EXPECT_TRUE(IsPartial(apply_range("bytes=0-1000", 100), 0, 100));
  EXPECT_TRUE(IsPartial(apply_range("bytes=90-1000", 100), 90, 10));
  EXPECT_TRUE(IsPartial(apply_range("bytes=0-999999999999999999", 100), 0, 100));  // 18 digits
}

TEST(RangeTest, FirstAtOrBeyondTheEndIsUnsatisfiable) {
  EXPECT_TRUE(IsUnsatisfiable(apply_range("bytes=100-", 100)));
  EXPECT_TRUE(IsUnsatisfiable(apply_range("bytes=100-200", 100)));
  EXPECT_TRUE(IsUnsatisfiable(apply_range("bytes=500-600", 100)));
}

TEST(RangeTest, ZeroLengthSuffixIsUnsatisfiable) {
  EXPECT_TRUE(IsUnsatisfiable(apply_range("bytes=-0", 100)));
  EXPECT_TRUE(IsUnsatisfiable(apply_range("bytes=-0", 0)));
}

TEST(RangeTest, EmptyObject) {
  // No byte of an empty representation can be selected.
  EXPECT_TRUE(IsUnsatisfiable(apply_range("bytes=0-", 0)));
  EXPECT_TRUE(IsUnsatisfiable(apply_range("bytes=0-0", 0)));
  EXPECT_TRUE(IsUnsatisfiable(apply_range("bytes=0-10", 0)));
  EXPECT_TRUE(IsUnsatisfiable(apply_range("bytes=-5", 0)));
  // A header that is ignored stays ignored.
  EXPECT_TRUE(IsWhole(apply_range("bytes=a-b", 0)));
  EXPECT_TRUE(IsWhole(apply_range("", 0)));
}

TEST(RangeTest, MalformedHeadersAreIgnored) {
  for (const char* h : {"", "bytes", "bytes=", "bytes=-", "bytes=a-b", "bytes=1-b", "bytes=a-1", "bytes=5",
                        "bytes=5-1", "bytes=--5", "bytes=-5-", "bytes=1-2-3", "bytes=+1-2", "bytes=1-+2",
                        "bytes=0x1-2", "bytes=-a", "items=0-1", "bits=0-1", "bytes 0-1", "bytes:0-1", "=0-1",
                        "0-1", "bytes=1.5-2"}) {
    auto r = apply_range(h, 100);
    EXPECT_TRUE(IsWhole(r)) << "'" << h << "' gave kind " << static_cast<int>(r.kind);
  }
}

TEST(RangeTest, MultipleRangesAreIgnored) {
  EXPECT_TRUE(IsWhole(apply_range("bytes=0-1,3-4", 100)));
  EXPECT_TRUE(IsWhole(apply_range("bytes=0-1, 3-4", 100)));
  EXPECT_TRUE(IsWhole(apply_range("bytes=-1,0-", 100)));
  EXPECT_TRUE(IsWhole(apply_range("bytes=0-1,", 100)));
}

TEST(RangeTest, OverflowingNumbersAreIgnored) {
  EXPECT_TRUE(IsWhole(apply_range("bytes=0-99999999999999999999", 100)));
  EXPECT_TRUE(IsWhole(apply_range("bytes=99999999999999999999-", 100)));
  EXPECT_TRUE(IsWhole(apply_range("bytes=-99999999999999999999", 100)));
  EXPECT_TRUE(IsWhole(apply_range("bytes=9223372036854775808-9223372036854775809", 100)));
  EXPECT_TRUE(IsWhole(apply_range("bytes=0-18446744073709551616", 100)));
}

TEST(RangeTest, LargeObjects) {
  const int64_t size = int64_t{5} << 40;  // 5 TiB, S3's maximum object size
  EXPECT_TRUE(IsPartial(apply_range("bytes=0-", size), 0, size));
  EXPECT_TRUE(IsPartial(apply_range("bytes=-1", size), size - 1, 1));
  EXPECT_TRUE(IsPartial(apply_range("bytes=5497558138879-", size), size - 1, 1));
  EXPECT_TRUE(IsUnsatisfiable(apply_range("bytes=5497558138880-", size)));
}

TEST(RangeTest, SurroundingSpacesAreTolerated) {
  EXPECT_TRUE(IsPartial(apply_range(" bytes=0-9", 100), 0, 10));
  EXPECT_TRUE(IsPartial(apply_range("bytes=0-9 ", 100), 0, 10));
  EXPECT_TRUE(IsPartial(apply_range("  bytes=-5  ", 100), 95, 5));
  EXPECT_TRUE(IsWhole(apply_range("   ", 100)));
}

TEST(RangeTest, SpacesInsideTheRangeAreNotANumber) {
  EXPECT_TRUE(IsWhole(apply_range("bytes=0 -9", 100)));
  EXPECT_TRUE(IsWhole(apply_range("bytes=0- 9", 100)));
  EXPECT_TRUE(IsWhole(apply_range("bytes = 0-9", 100)));
}

TEST(RangeTest, PartialRangesAlwaysLieInsideTheObject) {
  // Exhaustive over small sizes and positions: any partial result must be a non-empty slice.
  for (int64_t size = 0; size <= 12; ++size) {
    for (int a = -1; a <= 15; ++a) {
      for (int b = -1; b <= 15; ++b) {
        std::string h = "bytes=" + (a >= 0 ? std::to_string(a) : "") + "-" + (b >= 0 ? std::to_string(b) : "");
        auto r = apply_range(h, size);
        if (r.kind != Kind::kPartial) continue;
        EXPECT_GE(r.range.first, 0) << h << " size " << size;
        EXPECT_GT(r.range.length, 0) << h << " size " << size;
        EXPECT_LE(r.range.first + r.range.length, size) << h << " size " << size;
        if (a >= 0) {
          EXPECT_EQ(r.range.first, a) << h;
        }
        if (a >= 0 && b >= 0) {
          EXPECT_EQ(r.range.length, std::min<int64_t>(b, size - 1) - a + 1) << h;
        }
        if (a < 0 && b >= 0) {
          EXPECT_EQ(r.range.length, std::min<int64_t>(b, size)) << h;
        }
      }
    }
  }
}

}  // namespace
}  // namespace herd::s3

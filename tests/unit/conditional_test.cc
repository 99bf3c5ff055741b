// Tests for s3/conditional.h: conditional requests evaluated as S3 does, including the
// combinations the CopyObject reference spells out for x-amz-copy-source-if-*.
#include "s3/conditional.h"

#include <gtest/gtest.h>

#include "util/clock.h"

namespace herd::s3 {
namespace {

constexpr const char* kEtag = "0123456789abcdef0123456789abcdef";
constexpr int64_t kModified = 1700000000;

std::string date(int64_t seconds) { return format_http_date(seconds); }

ConditionResult eval(const Conditions& c) { return evaluate_conditions(c, kEtag, kModified); }

TEST(ConditionalTest, NoConditionsProceed) { EXPECT_EQ(eval({}), ConditionResult::kProceed); }

TEST(ConditionalTest, IfMatch) {
  EXPECT_EQ(eval({.if_match = "\"0123456789abcdef0123456789abcdef\""}), ConditionResult::kProceed);
  EXPECT_EQ(eval({.if_match = "\"other\", \"0123456789abcdef0123456789abcdef\""}), ConditionResult::kProceed);
  EXPECT_EQ(eval({.if_match = "*"}), ConditionResult::kProceed);
  EXPECT_EQ(eval({.if_match = "\"other\""}), ConditionResult::kPreconditionFailed);
}

TEST(ConditionalTest, IfNoneMatch) {
  EXPECT_EQ(eval({.if_none_match = "\"0123456789abcdef0123456789abcdef\""}), ConditionResult::kNotModified);
  EXPECT_EQ(eval({.if_none_match = "\"other\""}), ConditionResult::kProceed);
}

TEST(ConditionalTest, Dates) {
  EXPECT_EQ(eval({.if_modified_since = date(kModified - 60)}), ConditionResult::kProceed);
  EXPECT_EQ(eval({.if_modified_since = date(kModified)}), ConditionResult::kNotModified);
  EXPECT_EQ(eval({.if_unmodified_since = date(kModified + 60)}), ConditionResult::kProceed);
  EXPECT_EQ(eval({.if_unmodified_since = date(kModified)}), ConditionResult::kProceed);
  EXPECT_EQ(eval({.if_unmodified_since = date(kModified - 60)}), ConditionResult::kPreconditionFailed);
  EXPECT_EQ(eval({.if_modified_since = "not a date"}), ConditionResult::kProceed);
}

// CopyObject: "If both x-amz-copy-source-if-match and x-amz-copy-source-if-unmodified-since are
// present and evaluate as: if-match true, if-unmodified-since false, Amazon S3 returns 200 OK and
// copies the data."
TEST(ConditionalTest, IfMatchOverridesIfUnmodifiedSince) {
  EXPECT_EQ(eval({.if_match = "*", .if_unmodified_since = date(kModified - 60)}), ConditionResult::kProceed);
}

// CopyObject: "If both x-amz-copy-source-if-none-match and x-amz-copy-source-if-modified-since
// are present and evaluate as: if-none-match false, if-modified-since true, Amazon S3 returns the
// 412 Precondition Failed response code." (A copy turns any failed condition into a 412.)
TEST(ConditionalTest, IfNoneMatchOverridesIfModifiedSince) {
  EXPECT_NE(eval({.if_none_match = "*", .if_modified_since = date(kModified - 60)}), ConditionResult::kProceed);
  EXPECT_EQ(eval({.if_none_match = "\"other\"", .if_modified_since = date(kModified)}), ConditionResult::kProceed);
}

}  // namespace
}  // namespace herd::s3

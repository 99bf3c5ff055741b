// Tests for meta/changes.h: change notifications round-trip, and anything unreadable means
// "forget everything" (never a missed invalidation).
#include "meta/changes.h"

#include <gtest/gtest.h>

namespace herd {
namespace {

TEST(MetaChangesTest, ChangesRoundTrip) {
  MetaChange object{MetaChange::Kind::kObject, 42, std::string("a/b \0\xff", 6)};
  MetaChange back = decode_change(encode_change(object));
  EXPECT_EQ(back.kind, MetaChange::Kind::kObject);
  EXPECT_EQ(back.bucket_id, 42);
  EXPECT_EQ(back.key, object.key);
  MetaChange bucket = decode_change(encode_change({MetaChange::Kind::kBucket, 7, ""}));
  EXPECT_EQ(bucket.kind, MetaChange::Kind::kBucket);
  EXPECT_EQ(bucket.bucket_id, 7);
  EXPECT_EQ(decode_change(encode_change({})).kind, MetaChange::Kind::kEverything);
}

TEST(MetaChangesTest, UnreadableTextMeansEverything) {
  for (const char* text : {"", "o", "o 1", "o x 00", "o 1 zz", "b 1 2", "b", "q 1", "o 1 0"})
    EXPECT_EQ(decode_change(text).kind, MetaChange::Kind::kEverything) << text;
}

}  // namespace
}  // namespace herd

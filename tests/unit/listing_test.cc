// Tests for s3/listing.h: list_page over an in-memory ordered key source, checked against an
// independent brute-force model of S3's ListObjects semantics (prefix, marker, delimiter roll-up
// into CommonPrefixes, max-keys, truncation and resumption), plus prefix_successor.
#include "s3/listing.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herd::s3 {
namespace {

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

// An ordered key source with the MetaStore::list_objects contract, recording how it is called.
class MemoryKeys {
 public:
  MemoryKeys() = default;
  explicit MemoryKeys(const std::vector<std::string>& keys) {
    for (const auto& k : keys) add(k);
  }
  void add(const std::string& key) {
    ObjectSummary s;
    s.key = key;
    s.size = static_cast<int64_t>(key.size());
    s.etag = "etag-" + std::to_string(key.size());
    s.modified_ms = 1700000000000 + static_cast<int64_t>(key.size());
    rows_[key] = s;
  }
  const std::map<std::string, ObjectSummary>& rows() const { return rows_; }

  FetchKeys fetch() {
    return [this](const std::string& after, bool inclusive, const std::string& prefix, size_t limit) {
      ++calls;
      max_limit = std::max(max_limit, limit);
      min_limit = std::min(min_limit, limit);
      std::vector<ObjectSummary> out;
      auto it = inclusive ? rows_.lower_bound(after) : rows_.upper_bound(after);
      if (prefix > after) it = rows_.lower_bound(prefix);
      for (; it != rows_.end() && out.size() < limit; ++it) {
        if (!starts_with(it->first, prefix)) break;
        out.push_back(it->second);
      }
      return out;
    };
  }

  size_t calls = 0;
  size_t max_limit = 0;
  size_t min_limit = std::numeric_limits<size_t>::max();

 private:
  std::map<std::string, ObjectSummary> rows_;
};

// The brute-force model: every key > marker with the prefix becomes an entry, either itself or
// the common prefix it rolls up into (up to and including the first delimiter after the prefix).
// Each common prefix appears once; a common prefix equal to the marker is already listed. The
// first max_keys entries are returned; the page is truncated when more entries exist.
struct RefPage {
  std::vector<std::string> contents;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string last;
};

using Entries = std::vector<std::pair<std::string, bool>>;  // (name, is common prefix), in order

Entries reference_entries(const std::set<std::string>& keys, const std::string& prefix, const std::string& delimiter,
                          const std::string& marker) {
  Entries entries;
  std::set<std::string> seen_prefixes;
  // Start past the marker (an optimisation only: the test below is the definition).
  for (auto it = marker.empty() ? keys.begin() : keys.upper_bound(marker); it != keys.end(); ++it) {
    const std::string& key = *it;
    if (!marker.empty() && !(key > marker)) continue;
    if (!starts_with(key, prefix)) continue;
    std::string cp;
    if (!delimiter.empty()) {
      auto pos = std::string_view(key).substr(prefix.size()).find(delimiter);
      if (pos != std::string::npos) cp = key.substr(0, prefix.size() + pos + delimiter.size());
    }
    if (cp.empty()) {
      entries.emplace_back(key, false);
    } else if (cp != marker && seen_prefixes.insert(cp).second) {
      entries.emplace_back(cp, true);
    }
  }
  return entries;
}

RefPage take_page(const Entries& entries, int64_t max_keys) {
  RefPage page;
  if (max_keys <= 0) return page;  // S3: max-keys=0 is an empty, non-truncated page
  for (const auto& [name, is_cp] : entries) {
    if (static_cast<int64_t>(page.contents.size() + page.common_prefixes.size()) == max_keys) {
      page.truncated = true;
      break;
    }
    (is_cp ? page.common_prefixes : page.contents).push_back(name);
    page.last = name;
  }
  return page;
}

RefPage reference_page(const std::set<std::string>& keys, const std::string& prefix, const std::string& delimiter,
                       const std::string& marker, int64_t max_keys) {
  return take_page(reference_entries(keys, prefix, delimiter, marker), max_keys);
}

std::vector<std::string> keys_of(const ListPage& page) {
  std::vector<std::string> out;
  for (const auto& o : page.contents) out.push_back(o.key);
  return out;
}

ListPage run(MemoryKeys& keys, const std::string& prefix, const std::string& delimiter, const std::string& after,
             int64_t max_keys) {
  ListQuery q;
  q.prefix = prefix;
  q.delimiter = delimiter;
  q.after = after;
  q.max_keys = max_keys;
  return list_page(q, keys.fetch());
}

void expect_same(const ListPage& got, const RefPage& want, const std::string& what) {
  EXPECT_EQ(keys_of(got), want.contents) << what;
  EXPECT_EQ(got.common_prefixes, want.common_prefixes) << what;
  EXPECT_EQ(got.truncated, want.truncated) << what;
  EXPECT_EQ(got.last, want.last) << what;
}

std::string describe(const std::string& prefix, const std::string& delimiter, const std::string& marker,
                     int64_t max_keys) {
  return "prefix='" + prefix + "' delimiter='" + delimiter + "' marker='" + marker +
         "' max_keys=" + std::to_string(max_keys);
}

// Deterministic nested key set: paths of 1–4 segments (ASCII, UTF-8 and 0xFF bytes), some with a
// trailing '/', some using "--" as an alternative separator.
std::set<std::string> generated_keys(size_t count) {
  static const std::vector<std::string> segments = {"a", "b", "ab", "c0", "x-", "-", "\xc3\xa9" /* é */,
                                                    "\xe6\x97\xa5\xe6\x9c\xac" /* 日本 */, "\xff", "z\xff",
                                                    "0", "a.b", "~"};
  std::mt19937 rng(20240611);
  std::set<std::string> keys;
  while (keys.size() < count) {
    size_t depth = 1 + rng() % 4;
    std::string key;
    for (size_t d = 0; d < depth; ++d) {
      if (d) key += (rng() % 5 == 0) ? "--" : "/";
      key += segments[rng() % segments.size()];
      if (rng() % 3 == 0) key += std::to_string(rng() % 20);
    }
    if (rng() % 7 == 0) key += "/";
    keys.insert(key);
  }
  return keys;
}

// --- prefix_successor

TEST(PrefixSuccessorTest, IncrementsTheLastByteBelow0xFF) {
  EXPECT_EQ(prefix_successor("a"), "b");
  EXPECT_EQ(prefix_successor("a/"), "a0");
  EXPECT_EQ(prefix_successor("abc"), "abd");
  EXPECT_EQ(prefix_successor(std::string("a\x00", 2)), std::string("a\x01", 2));
  EXPECT_EQ(prefix_successor("a\x7f"), "a\x80");
  EXPECT_EQ(prefix_successor("a\xfe"), "a\xff");
}

TEST(PrefixSuccessorTest, DropsTrailing0xFFBytes) {
  EXPECT_EQ(prefix_successor("a\xff"), "b");
  EXPECT_EQ(prefix_successor("a\xff\xff"), "b");
  EXPECT_EQ(prefix_successor("ab\xff"), "ac");
  EXPECT_EQ(prefix_successor("\xff\xff"), "");
  EXPECT_EQ(prefix_successor("\xff"), "");
  EXPECT_EQ(prefix_successor(""), "");
}

TEST(PrefixSuccessorTest, IsGreaterThanEveryExtensionAndNoGreaterThanNeeded) {
  const std::vector<std::string> prefixes = {"a", "a/", "a\xff", "\xc3\xa9", "z\xff\xff", "\xfe\xff"};
  for (const auto& p : prefixes) {
    std::string s = prefix_successor(p);
    ASSERT_FALSE(s.empty()) << p;
    EXPECT_GT(s, p);
    EXPECT_GT(s, p + "\xff\xff\xff\xff");
    EXPECT_FALSE(starts_with(s, p)) << p;
  }
}

// --- hand-written S3 cases

TEST(ListPageTest, NoDelimiterListsEveryKeyWithThePrefixInOrder) {
  MemoryKeys keys({"b", "a/1", "a/2", "a", "ab", "a/", "c/d/e"});
  auto page = run(keys, "", "", "", 1000);
  EXPECT_EQ(keys_of(page), (std::vector<std::string>{"a", "a/", "a/1", "a/2", "ab", "b", "c/d/e"}));
  EXPECT_TRUE(page.common_prefixes.empty());
  EXPECT_FALSE(page.truncated);
  EXPECT_EQ(page.last, "c/d/e");

  page = run(keys, "a/", "", "", 1000);
  EXPECT_EQ(keys_of(page), (std::vector<std::string>{"a/", "a/1", "a/2"}));
}

TEST(ListPageTest, ContentsCarryTheFetchedSummaries) {
  MemoryKeys keys({"one", "three"});
  auto page = run(keys, "", "", "", 1000);
  ASSERT_EQ(page.contents.size(), 2u);
  EXPECT_EQ(page.contents[0].key, "one");
  EXPECT_EQ(page.contents[0].size, 3);
  EXPECT_EQ(page.contents[0].etag, "etag-3");
  EXPECT_EQ(page.contents[1].modified_ms, 1700000000005);
}

TEST(ListPageTest, SlashDelimiterRollsUpAtTheFirstDelimiter) {
  MemoryKeys keys({"a", "a/", "a/1", "a/b/c", "ab", "b/x/y", "b/z", "c"});
  auto page = run(keys, "", "/", "", 1000);
  EXPECT_EQ(keys_of(page), (std::vector<std::string>{"a", "ab", "c"}));
  EXPECT_EQ(page.common_prefixes, (std::vector<std::string>{"a/", "b/"}));
  EXPECT_FALSE(page.truncated);
  EXPECT_EQ(page.last, "c");
}

TEST(ListPageTest, KeyEqualToACommonPrefixRollsUpIntoIt) {
  // "a/" is itself a key, but with delimiter "/" it is reported only as the common prefix "a/".
  MemoryKeys keys({"a/", "b"});
  auto page = run(keys, "", "/", "", 1000);
  EXPECT_EQ(keys_of(page), std::vector<std::string>{"b"});
  EXPECT_EQ(page.common_prefixes, std::vector<std::string>{"a/"});
  // With prefix "a/" the same key is listed as itself (no delimiter after the prefix).
  page = run(keys, "a/", "/", "", 1000);
  EXPECT_EQ(keys_of(page), std::vector<std::string>{"a/"});
  EXPECT_TRUE(page.common_prefixes.empty());
}

TEST(ListPageTest, PrefixWithoutTrailingDelimiter) {
  MemoryKeys keys({"photos", "photos/2023/a.jpg", "photos/2024/b.jpg", "photos2/x", "photosets/y/z", "pics/1"});
  auto page = run(keys, "photos", "/", "", 1000);
  EXPECT_EQ(keys_of(page), (std::vector<std::string>{"photos"}));
  EXPECT_EQ(page.common_prefixes, (std::vector<std::string>{"photos/", "photos2/", "photosets/"}));

  page = run(keys, "photos/", "/", "", 1000);
  EXPECT_TRUE(keys_of(page).empty());
  EXPECT_EQ(page.common_prefixes, (std::vector<std::string>{"photos/2023/", "photos/2024/"}));
}

TEST(ListPageTest, MultiCharacterDelimiter) {
  MemoryKeys keys({"a--b--c", "a--d", "a-b", "a-", "b--", "b---", "c"});
  auto page = run(keys, "", "--", "", 1000);
  EXPECT_EQ(keys_of(page), (std::vector<std::string>{"a-", "a-b", "c"}));
  EXPECT_EQ(page.common_prefixes, (std::vector<std::string>{"a--", "b--"}));

  page = run(keys, "a--", "--", "", 1000);
  EXPECT_EQ(keys_of(page), (std::vector<std::string>{"a--d"}));
  EXPECT_EQ(page.common_prefixes, (std::vector<std::string>{"a--b--"}));
}

TEST(ListPageTest, DelimiterSearchStartsAfterThePrefix) {
  // The prefix itself contains the delimiter; only occurrences after it count.
  MemoryKeys keys({"a/b", "a/c/d", "a//e"});
  auto page = run(keys, "a/", "/", "", 1000);
  EXPECT_EQ(keys_of(page), (std::vector<std::string>{"a/b"}));
  EXPECT_EQ(page.common_prefixes, (std::vector<std::string>{"a//", "a/c/"}));
}

TEST(ListPageTest, PrefixMatchingNothing) {
  MemoryKeys keys({"a", "b/c"});
  auto page = run(keys, "zzz", "/", "", 1000);
  EXPECT_TRUE(page.contents.empty());
  EXPECT_TRUE(page.common_prefixes.empty());
  EXPECT_FALSE(page.truncated);
  EXPECT_EQ(page.last, "");

  MemoryKeys empty;
  page = run(empty, "", "", "", 1000);
  EXPECT_TRUE(page.contents.empty());
  EXPECT_FALSE(page.truncated);
}

TEST(ListPageTest, MaxKeysZeroIsEmptyAndNotTruncated) {
  MemoryKeys keys({"a", "b"});
  auto page = run(keys, "", "", "", 0);
  EXPECT_TRUE(page.contents.empty());
  EXPECT_TRUE(page.common_prefixes.empty());
  EXPECT_FALSE(page.truncated);
  EXPECT_EQ(keys.calls, 0u);
}

TEST(ListPageTest, MaxKeysCountsEachCommonPrefixOnce) {
  MemoryKeys keys({"a/1", "a/2", "a/3", "b", "c/1", "c/2", "d"});
  auto page = run(keys, "", "/", "", 1);
  EXPECT_TRUE(page.contents.empty());
  EXPECT_EQ(page.common_prefixes, std::vector<std::string>{"a/"});
  EXPECT_TRUE(page.truncated);
  EXPECT_EQ(page.last, "a/");

  page = run(keys, "", "/", "", 2);
  EXPECT_EQ(keys_of(page), std::vector<std::string>{"b"});
  EXPECT_EQ(page.common_prefixes, std::vector<std::string>{"a/"});
  EXPECT_TRUE(page.truncated);
  EXPECT_EQ(page.last, "b");

  page = run(keys, "", "/", "", 4);
  EXPECT_EQ(keys_of(page), (std::vector<std::string>{"b", "d"}));
  EXPECT_EQ(page.common_prefixes, (std::vector<std::string>{"a/", "c/"}));
  EXPECT_FALSE(page.truncated);  // exactly max_keys entries and nothing after them

  page = run(keys, "", "/", "", 1000);
  EXPECT_FALSE(page.truncated);
  EXPECT_EQ(page.last, "d");
}

TEST(ListPageTest, TruncatedOnlyWhenMoreEntriesFollow) {
  MemoryKeys keys({"a", "b", "c/1", "c/2"});
  // Three entries: a, b, c/.
  EXPECT_TRUE(run(keys, "", "/", "", 2).truncated);
  EXPECT_FALSE(run(keys, "", "/", "", 3).truncated);
  // The last common prefix is the final entry even though keys remain under it.
  auto page = run(keys, "", "/", "b", 1);
  EXPECT_EQ(page.common_prefixes, std::vector<std::string>{"c/"});
  EXPECT_FALSE(page.truncated);
}

TEST(ListPageTest, ResumingFromACommonPrefixSkipsEverythingUnderIt) {
  MemoryKeys keys({"a/1", "a/2", "a/3/x", "a0", "b/1"});
  auto page = run(keys, "", "/", "a/", 1000);
  EXPECT_EQ(keys_of(page), std::vector<std::string>{"a0"});
  EXPECT_EQ(page.common_prefixes, std::vector<std::string>{"b/"});
}

TEST(ListPageTest, MarkerInsideARolledUpPrefixStillReportsIt) {
  // As S3 does: entries are formed from keys after the marker, so "a/2" still yields "a/".
  MemoryKeys keys({"a/1", "a/2", "b"});
  auto page = run(keys, "", "/", "a/1", 1000);
  EXPECT_EQ(keys_of(page), std::vector<std::string>{"b"});
  EXPECT_EQ(page.common_prefixes, std::vector<std::string>{"a/"});
  // ...but not when no key under it follows the marker.
  page = run(keys, "", "/", "a/2", 1000);
  EXPECT_EQ(keys_of(page), std::vector<std::string>{"b"});
  EXPECT_TRUE(page.common_prefixes.empty());
  // A marker before the prefix group, e.g. "a", includes it.
  page = run(keys, "", "/", "a", 1000);
  EXPECT_EQ(page.common_prefixes, std::vector<std::string>{"a/"});
}

TEST(ListPageTest, MarkerOutsideThePrefix) {
  MemoryKeys keys({"a/1", "b/1", "b/2", "c"});
  // A marker before the prefix range lists all of it; after it lists nothing.
  auto page = run(keys, "b/", "", "a/9", 1000);
  EXPECT_EQ(keys_of(page), (std::vector<std::string>{"b/1", "b/2"}));
  page = run(keys, "b/", "", "c", 1000);
  EXPECT_TRUE(page.contents.empty());
  EXPECT_FALSE(page.truncated);
}

TEST(ListPageTest, BytewiseOrderWithUtf8And0xFF) {
  const std::string e_acute = "\xc3\xa9";
  MemoryKeys keys({"z", e_acute + "/1", e_acute + "/2", "\xff", "\xff/x", "a\xff", "a", "\x7f"});
  auto page = run(keys, "", "/", "", 1000);
  EXPECT_EQ(keys_of(page), (std::vector<std::string>{"a", "a\xff", "z", "\x7f", "\xff"}));
  EXPECT_EQ(page.common_prefixes, (std::vector<std::string>{e_acute + "/", "\xff/"}));

  // 0xFF in the prefix and as a delimiter.
  page = run(keys, "\xff", "", "", 1000);
  EXPECT_EQ(keys_of(page), (std::vector<std::string>{"\xff", "\xff/x"}));
  page = run(keys, "", "\xff", "", 1000);
  EXPECT_EQ(keys_of(page), (std::vector<std::string>{"a", "z", "\x7f", e_acute + "/1", e_acute + "/2"}));
  EXPECT_EQ(page.common_prefixes, (std::vector<std::string>{"a\xff", "\xff"}));
}

TEST(ListPageTest, CommonPrefixOfAll0xFFEndsTheListing) {
  // The successor of "\xff" does not exist: nothing can follow it.
  MemoryKeys keys({"a", "\xff", "\xff\xff", "\xff" "b"});
  auto page = run(keys, "", "\xff", "", 1000);
  EXPECT_EQ(keys_of(page), std::vector<std::string>{"a"});
  EXPECT_EQ(page.common_prefixes, std::vector<std::string>{"\xff"});
  EXPECT_FALSE(page.truncated);
  page = run(keys, "", "\xff", "", 1);
  EXPECT_EQ(keys_of(page), std::vector<std::string>{"a"});
  EXPECT_TRUE(page.truncated);
  page = run(keys, "", "\xff", page.last, 1);
  EXPECT_EQ(page.common_prefixes, std::vector<std::string>{"\xff"});
  EXPECT_FALSE(page.truncated);
  page = run(keys, "", "\xff", "\xff", 1);
  EXPECT_TRUE(page.contents.empty());
  EXPECT_TRUE(page.common_prefixes.empty());
}

// --- fetch limits

TEST(ListPageTest, FetchLimitIsBounded) {
  std::vector<std::string> names;
  for (int i = 0; i < 2500; ++i) names.push_back("k" + std::to_string(100000 + i));
  MemoryKeys keys(names);
  for (int64_t max_keys : {int64_t{1}, int64_t{2}, int64_t{999}, int64_t{1000}, int64_t{1001}, int64_t{5000},
                           int64_t{1000000}}) {
    keys.max_limit = 0;
    keys.min_limit = std::numeric_limits<size_t>::max();
    auto page = run(keys, "", "", "", max_keys);
    EXPECT_LE(keys.max_limit, 1000u) << max_keys;
    EXPECT_GE(keys.min_limit, 1u) << max_keys;
    EXPECT_EQ(static_cast<int64_t>(page.contents.size()), std::min<int64_t>(max_keys, 2500)) << max_keys;
    EXPECT_EQ(page.truncated, max_keys < 2500) << max_keys;
  }
}

TEST(ListPageTest, FetchLimitIsBoundedForTheLargestMaxKeys) {
  // max_keys is an int64_t; "no limit" callers may pass the maximum.
  MemoryKeys keys({"a", "b", "c"});
  auto page = run(keys, "", "", "", std::numeric_limits<int64_t>::max());
  EXPECT_LE(keys.max_limit, 1000u);
  EXPECT_EQ(keys_of(page), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_FALSE(page.truncated);
}

TEST(ListPageTest, ManyCommonPrefixesDoNotFetchEveryKeyUnderThem) {
  std::vector<std::string> names;
  for (int d = 0; d < 5; ++d)
    for (int i = 0; i < 3000; ++i) names.push_back("dir" + std::to_string(d) + "/" + std::to_string(i));
  MemoryKeys keys(names);
  auto page = run(keys, "", "/", "", 1000);
  EXPECT_EQ(page.common_prefixes.size(), 5u);
  EXPECT_LE(keys.max_limit, 1000u);
  EXPECT_LE(keys.calls, 10u);  // one fetch per common prefix plus the final empty one
}

// --- randomized comparison with the reference model

class ListingModelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    keys_ = new std::set<std::string>(generated_keys(3000));
  }
  static void TearDownTestSuite() {
    delete keys_;
    keys_ = nullptr;
  }
  static std::set<std::string>* keys_;

  const std::vector<std::string> prefixes_ = {"", "a", "a/", "a/b", "\xc3\xa9", "\xff", "x-/", "nothing-here"};
  const std::vector<std::string> delimiters_ = {"", "/", "--", "b", "\xff", "/a"};
};
std::set<std::string>* ListingModelTest::keys_ = nullptr;

TEST_F(ListingModelTest, SinglePagesMatchTheModelForManyMarkers) {
  MemoryKeys keys(std::vector<std::string>(keys_->begin(), keys_->end()));
  std::vector<std::string> all(keys_->begin(), keys_->end());
  std::mt19937 rng(7);
  for (const auto& prefix : prefixes_) {
    for (const auto& delimiter : delimiters_) {
      std::vector<std::string> markers = {"", "a", "a/", "a/1", "\xff", "\xff\xff", "zzz"};
      for (int i = 0; i < 12; ++i) {
        const std::string& k = all[rng() % all.size()];
        markers.push_back(k);
        markers.push_back(k + "/");
        markers.push_back(k.substr(0, 1 + rng() % k.size()));  // often a common prefix or inside one
      }
      for (const auto& marker : markers) {
        const Entries entries = reference_entries(*keys_, prefix, delimiter, marker);
        for (int64_t max_keys : {int64_t{0}, int64_t{1}, int64_t{2}, int64_t{3}, int64_t{1000}}) {
          keys.max_limit = 0;
          auto got = run(keys, prefix, delimiter, marker, max_keys);
          auto want = take_page(entries, max_keys);
          expect_same(got, want, describe(prefix, delimiter, marker, max_keys));
          EXPECT_LE(keys.max_limit, 1000u);
          if (::testing::Test::HasFailure()) return;  // one detailed failure is enough
        }
      }
    }
  }
}

TEST_F(ListingModelTest, PaginationConcatenatesToTheCompleteListing) {
  MemoryKeys keys(std::vector<std::string>(keys_->begin(), keys_->end()));
  for (const auto& prefix : prefixes_) {
    for (const auto& delimiter : delimiters_) {
      const RefPage complete = reference_page(*keys_, prefix, delimiter, "", std::numeric_limits<int64_t>::max());
      ASSERT_FALSE(complete.truncated);
      for (int64_t max_keys : {int64_t{1}, int64_t{2}, int64_t{7}, int64_t{1000}}) {
        const std::string what = describe(prefix, delimiter, "", max_keys);
        std::vector<std::string> contents, prefixes;
        std::string marker;
        size_t pages = 0;
        keys.max_limit = 0;
        while (true) {
          auto page = run(keys, prefix, delimiter, marker, max_keys);
          ++pages;
          ASSERT_LE(static_cast<int64_t>(page.contents.size() + page.common_prefixes.size()), max_keys) << what;
          for (const auto& o : page.contents) contents.push_back(o.key);
          for (const auto& cp : page.common_prefixes) prefixes.push_back(cp);
          if (!page.truncated) break;
          ASSERT_FALSE(page.last.empty()) << what;
          ASSERT_TRUE(page.last > marker || marker.empty()) << what << " no progress at page " << pages;
          marker = page.last;
          ASSERT_LE(pages, keys_->size() + 1) << what;
        }
        EXPECT_LE(keys.max_limit, 1000u) << what;
        EXPECT_EQ(contents, complete.contents) << what;
        EXPECT_EQ(prefixes, complete.common_prefixes) << what;
        EXPECT_EQ(std::set<std::string>(contents.begin(), contents.end()).size(), contents.size()) << what;
        EXPECT_EQ(std::set<std::string>(prefixes.begin(), prefixes.end()).size(), prefixes.size()) << what;
        if (::testing::Test::HasFailure()) return;
      }
    }
  }
}

TEST_F(ListingModelTest, GeneratedKeysExerciseTheInterestingCases) {
  // Guard against the generator drifting into a set that no longer covers the cases above.
  size_t with_ff = 0, with_utf8 = 0, trailing_slash = 0, dashes = 0;
  for (const auto& k : *keys_) {
    if (k.find('\xff') != std::string::npos) ++with_ff;
    if (k.find("\xc3\xa9") != std::string::npos) ++with_utf8;
    if (!k.empty() && k.back() == '/') ++trailing_slash;
    if (k.find("--") != std::string::npos) ++dashes;
  }
  EXPECT_EQ(keys_->size(), 3000u);
  EXPECT_GT(with_ff, 100u);
  EXPECT_GT(with_utf8, 100u);
  EXPECT_GT(trailing_slash, 100u);
  EXPECT_GT(dashes, 100u);
}

}  // namespace
}  // namespace herd::s3

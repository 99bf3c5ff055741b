#pragma once
// The S3 listing algorithm (ListObjects v1/v2): prefix, delimiter roll-up into common
// prefixes, max-keys and resumption, over any ordered source of keys.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "meta/types.h"

namespace herd::s3 {

struct ListQuery {
  std::string prefix;
  std::string delimiter;
  std::string after;  // resume strictly after this key or common prefix ("" = from the start)
  int64_t max_keys = 1000;
};

struct ListPage {
  std::vector<ObjectSummary> contents;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string last;  // the last key or common prefix returned; resume from here
};

// Returns up to `limit` summaries in key order with key > `after` (>= when `inclusive`) that
// start with `prefix` (MetaStore::list_objects has this shape).
using FetchKeys = std::function<std::vector<ObjectSummary>(const std::string& after, bool inclusive,
                                                           const std::string& prefix, size_t limit)>;

// One page of results. Each common prefix counts once toward max_keys.
ListPage list_page(const ListQuery& query, const FetchKeys& fetch);

// The smallest string greater than every string starting with `s`; "" when none exists.
std::string prefix_successor(std::string s);

}  // namespace herd::s3

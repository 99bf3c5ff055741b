#include "s3/listing.h"

#include <algorithm>

namespace herd::s3 {

std::string prefix_successor(std::string s) {
  while (!s.empty() && static_cast<unsigned char>(s.back()) == 0xFF) s.pop_back();
  if (!s.empty()) s.back() = static_cast<char>(static_cast<unsigned char>(s.back()) + 1);
  return s;
}

namespace {

// The common prefix `key` rolls up into, or "" when it is listed as itself.
std::string roll_up(const std::string& key, const ListQuery& q) {
  if (q.delimiter.empty() || key.compare(0, q.prefix.size(), q.prefix) != 0) return {};
  auto pos = key.find(q.delimiter, q.prefix.size());
  if (pos == std::string::npos) return {};
  return key.substr(0, pos + q.delimiter.size());
}

}  // namespace

ListPage list_page(const ListQuery& q, const FetchKeys& fetch) {
  ListPage page;
  if (q.max_keys <= 0) return page;
  // Where to resume. A marker that is itself a common prefix resumes past everything under it,
  // so a page boundary never repeats a common prefix.
  std::string after = q.after;
  bool inclusive = false;
  if (!after.empty() && roll_up(after, q) == after) {
    after = prefix_successor(after);
    inclusive = true;
    if (after.empty()) return page;
  }
  int64_t count = 0;
  const size_t batch = q.max_keys >= 1000 ? 1000 : static_cast<size_t>(q.max_keys + 1);
  while (true) {
    auto rows = fetch(after, inclusive, q.prefix, batch);
    bool skipped = false;
    for (auto& row : rows) {
      if (count == q.max_keys) {
        page.truncated = true;
        return page;
      }
      std::string cp = roll_up(row.key, q);
      if (cp.empty()) {
        after = row.key;
        inclusive = false;
        page.last = row.key;
        page.contents.push_back(std::move(row));
        ++count;
        continue;
      }
      // A marker inside a rolled-up prefix still reports that prefix once (as S3 does).
      page.common_prefixes.push_back(cp);
      page.last = cp;
      ++count;
      after = prefix_successor(cp);
      inclusive = true;
      skipped = true;
      break;  // jump past every key under this common prefix
    }
    if (skipped) {
      if (after.empty()) return page;
      continue;
    }
    if (rows.size() < batch) return page;
  }
}

}  // namespace herd::s3

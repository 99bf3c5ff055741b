#include "meta/changes.h"

#include <charconv>

#include "util/hex.h"

namespace herd {

std::string encode_change(const MetaChange& c) {
  switch (c.kind) {
    case MetaChange::Kind::kObject: return "o " + std::to_string(c.bucket_id) + " " + to_hex(c.key);
    case MetaChange::Kind::kBucket: return "b " + std::to_string(c.bucket_id);
    case MetaChange::Kind::kEverything: break;
  }
  return "*";
}

MetaChange decode_change(const std::string& text) {
  MetaChange c;
  if (text.size() < 3 || (text[0] != 'o' && text[0] != 'b') || text[1] != ' ') return c;
  auto space = text.find(' ', 2);
  std::string_view id = std::string_view(text).substr(2, space == std::string::npos ? std::string::npos : space - 2);
  int64_t bucket = 0;
  auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), bucket);
  if (ec != std::errc() || p != id.data() + id.size()) return c;
  if (text[0] == 'b') {
    if (space != std::string::npos) return c;
    c.kind = MetaChange::Kind::kBucket;
    c.bucket_id = bucket;
    return c;
  }
  if (space == std::string::npos) return c;
  auto key = from_hex(std::string_view(text).substr(space + 1));
  if (!key) return c;
  c.kind = MetaChange::Kind::kObject;
  c.bucket_id = bucket;
  c.key = std::move(*key);
  return c;
}

}  // namespace herd

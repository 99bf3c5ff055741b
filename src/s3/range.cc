#include "s3/range.h"

#include <boost/beast/core/string.hpp>

#include <charconv>

namespace herd::s3 {

static std::optional<int64_t> parse_number(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

RangeResult apply_range(std::string_view header, int64_t size) {
  RangeResult whole;
  constexpr std::string_view kUnit = "bytes=";
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  if (header.size() < kUnit.size() || !boost::beast::iequals(header.substr(0, kUnit.size()), kUnit)) return whole;
  header.remove_prefix(kUnit.size());
  if (header.find(',') != std::string_view::npos) return whole;
  auto dash = header.find('-');
  if (dash == std::string_view::npos) return whole;
  auto first_s = header.substr(0, dash), last_s = header.substr(dash + 1);
  RangeResult r;
  if (first_s.empty()) {  // suffix: the last n bytes
    auto n = parse_number(last_s);
    if (!n) return whole;
    if (*n == 0 || size == 0) return {RangeResult::Kind::kUnsatisfiable, {}};
    int64_t len = std::min(*n, size);
    return {RangeResult::Kind::kPartial, {size - len, len}};
  }
  auto first = parse_number(first_s);
  if (!first) return whole;
  int64_t last = size - 1;
  if (!last_s.empty()) {
    auto l = parse_number(last_s);
    if (!l || *l < *first) return whole;
    last = std::min(*l, size - 1);
  }
  if (*first >= size) return {RangeResult::Kind::kUnsatisfiable, {}};
  return {RangeResult::Kind::kPartial, {*first, last - *first + 1}};
}

}  // namespace herd::s3

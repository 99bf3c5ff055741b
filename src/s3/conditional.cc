#include "s3/conditional.h"

#include "util/clock.h"

namespace herd::s3 {

namespace {

// True when a comma-separated list of entity tags contains `etag` or "*".
bool etag_list_matches(std::string_view list, std::string_view etag) {
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    std::string_view item = list.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item.size() >= 2 && item.front() == '"' && item.back() == '"') item = item.substr(1, item.size() - 2);
    if (item == "*" || item == etag) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

namespace {

std::optional<std::string> header_value(const http::Exchange& ex, std::string_view name) {
  auto v = ex.header(name);
  return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
}

}  // namespace

Conditions conditions_of(const http::Exchange& ex) {
  return {header_value(ex, "If-Match"), header_value(ex, "If-None-Match"), header_value(ex, "If-Modified-Since"),
          header_value(ex, "If-Unmodified-Since")};
}

Conditions copy_source_conditions_of(const http::Exchange& ex) {
  return {header_value(ex, "x-amz-copy-source-if-match"), header_value(ex, "x-amz-copy-source-if-none-match"),
          header_value(ex, "x-amz-copy-source-if-modified-since"),
          header_value(ex, "x-amz-copy-source-if-unmodified-since")};
}

ConditionResult evaluate_conditions(const Conditions& c, std::string_view etag, int64_t modified) {
  if (c.if_match) {
    if (!etag_list_matches(*c.if_match, etag)) return ConditionResult::kPreconditionFailed;
  } else if (c.if_unmodified_since) {
    auto t = parse_http_date(*c.if_unmodified_since);
    if (t && modified > *t) return ConditionResult::kPreconditionFailed;
  }
  if (c.if_none_match) {
    if (etag_list_matches(*c.if_none_match, etag)) return ConditionResult::kNotModified;
  } else if (c.if_modified_since) {
    auto t = parse_http_date(*c.if_modified_since);
    if (t && modified <= *t) return ConditionResult::kNotModified;
  }
  return ConditionResult::kProceed;
}

bool if_range_allows(const std::optional<std::string_view>& if_range, std::string_view etag, int64_t modified) {
  if (!if_range) return true;
  std::string_view v = *if_range;
  if (v.starts_with("W/")) return false;  // weak tags never match for ranges
  if (v.starts_with('"')) return v.size() >= 2 && v.back() == '"' && v.substr(1, v.size() - 2) == etag;
  auto date = parse_http_date(v);
  return date && *date == modified;
}

}  // namespace herd::s3

#include "s3/object_meta.h"

#include <boost/beast/core/string.hpp>

#include "s3/acl.h"
#include "s3/error.h"
#include "util/clock.h"

namespace herd::s3 {

namespace {

constexpr std::string_view kMetaPrefix = "x-amz-meta-";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string stored_content_encoding(std::string_view header) {
  std::string out;
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string_view coding = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t')) coding.remove_prefix(1);
    while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t')) coding.remove_suffix(1);
    if (coding.empty() || boost::beast::iequals(coding, "aws-chunked")) continue;
    if (!out.empty()) out += ", ";
    out += coding;
  }
  return out;
}

ObjectMeta object_meta_from_request(const http::Exchange& ex) {
  ObjectMeta m;
  auto get = [&](std::string_view name) { return std::string(ex.header(name).value_or("")); };
  m.content_type = get("Content-Type");
  m.cache_control = get("Cache-Control");
  m.content_disposition = get("Content-Disposition");
  m.content_encoding = stored_content_encoding(get("Content-Encoding"));
  m.expires = get("Expires");
  if (auto acl = ex.header("x-amz-acl")) {
    if (!valid_canned_acl(*acl)) throw invalid_argument("Unknown canned ACL: " + std::string(*acl));
    m.acl = std::string(*acl);
  }
  size_t meta_bytes = 0;
  for (auto& [name, value] : ex.headers()) {
    std::string n = lower(name);
    if (!n.starts_with(kMetaPrefix)) continue;
    std::string key = n.substr(kMetaPrefix.size());
    meta_bytes += key.size() + value.size();
    // Repeated headers join with ',' as HTTP defines.
    auto it = std::find_if(m.user_meta.begin(), m.user_meta.end(), [&](auto& kv) { return kv.first == key; });
    if (it != m.user_meta.end()) it->second += "," + value;
    else m.user_meta.emplace_back(std::move(key), value);
  }
  if (meta_bytes > kMaxUserMetadataBytes) throw metadata_too_large();
  return m;
}

void append_object_headers(const ObjectRecord& o, http::Headers& h) {
  h.emplace_back("Content-Type", o.meta.content_type.empty() ? "binary/octet-stream" : o.meta.content_type);
  if (!o.meta.cache_control.empty()) h.emplace_back("Cache-Control", o.meta.cache_control);
  if (!o.meta.content_disposition.empty()) h.emplace_back("Content-Disposition", o.meta.content_disposition);
  if (!o.meta.content_encoding.empty()) h.emplace_back("Content-Encoding", o.meta.content_encoding);
  if (!o.meta.expires.empty()) h.emplace_back("Expires", o.meta.expires);
  for (const auto& [k, v] : o.meta.user_meta) h.emplace_back(std::string(kMetaPrefix) + k, v);
  h.emplace_back("ETag", "\"" + o.etag + "\"");
  h.emplace_back("Last-Modified", format_http_date(o.modified_ms / 1000));
  h.emplace_back("Accept-Ranges", "bytes");
}

}  // namespace herd::s3

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

ObjectMeta object_meta_from_request(const http::Exchange& ex) {
  ObjectMeta m;
  auto get = [&](std::string_view name) { return std::string(ex.header(name).value_or("")); };
  m.content_type = get("Content-Type");
  m.cache_control = get("Cache-Control");
  m.content_disposition = get("Content-Disposition");
  m.content_encoding = get("Content-Encoding");
  // aws-chunked is framing for this request, not a property of the stored object.
  if (m.content_encoding == "aws-chunked") m.content_encoding.clear();
  else if (m.content_encoding.starts_with("aws-chunked,")) m.content_encoding.erase(0, 12);
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
  for (const auto& [k, v] : o.meta.user_meta) h.emplace_back(std::string(kMetaPrefix) + k, v);
  h.emplace_back("ETag", "\"" + o.etag + "\"");
  h.emplace_back("Last-Modified", format_http_date(o.modified_ms / 1000));
  h.emplace_back("Accept-Ranges", "bytes");
}

}  // namespace herd::s3

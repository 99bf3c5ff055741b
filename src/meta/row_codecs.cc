#include "meta/row_codecs.h"

#include <nlohmann/json.hpp>

namespace herd {

namespace {

nlohmann::json user_meta_json(const ObjectMeta& m) {
  nlohmann::json user = nlohmann::json::array();
  for (const auto& [k, v] : m.user_meta) user.push_back({k, v});
  return user;
}

void read_user_meta(const nlohmann::json& j, ObjectMeta& m) {
  if (!j.is_array()) return;
  for (const auto& kv : j)
    if (kv.is_array() && kv.size() == 2 && kv[0].is_string() && kv[1].is_string())
      m.user_meta.emplace_back(kv[0].get<std::string>(), kv[1].get<std::string>());
}

}  // namespace

std::string encode_object_meta(const ObjectMeta& m) {
  return nlohmann::json{{"content_type", m.content_type},
                        {"cache_control", m.cache_control},
                        {"content_disposition", m.content_disposition},
                        {"content_encoding", m.content_encoding},
                        {"expires", m.expires},
                        {"user_meta", user_meta_json(m)},
                        {"acl", m.acl},
                        {"checksum_algorithm", m.checksum_algorithm}}
      .dump();
}

ObjectMeta decode_object_meta(const std::string& text) {
  ObjectMeta m;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return m;
  m.content_type = j.value("content_type", "");
  m.cache_control = j.value("cache_control", "");
  m.content_disposition = j.value("content_disposition", "");
  m.content_encoding = j.value("content_encoding", "");
  m.expires = j.value("expires", "");
  m.acl = j.value("acl", "private");
  m.checksum_algorithm = j.value("checksum_algorithm", "");
  if (j.contains("user_meta")) read_user_meta(j["user_meta"], m);
  return m;
}

std::string encode_user_meta(const ObjectMeta& m) { return user_meta_json(m).dump(); }

void decode_user_meta(const std::string& text, ObjectMeta& m) {
  read_user_meta(nlohmann::json::parse(text, nullptr, false), m);
}

std::string encode_part_sizes(const std::vector<int64_t>& sizes) { return nlohmann::json(sizes).dump(); }

std::vector<int64_t> decode_part_sizes(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  std::vector<int64_t> out;
  if (j.is_array())
    for (const auto& v : j)
      if (v.is_number_integer()) out.push_back(v.get<int64_t>());
  return out;
}

}  // namespace herd

#include "s3/sigv4.h"

#include <algorithm>

#include "util/digest.h"
#include "util/hex.h"
#include "util/uri.h"

namespace herd::sigv4 {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

// Trims and collapses runs of spaces to one, as SigV4 requires for header values.
std::string normalize_value(std::string_view v) {
  v = trim(v);
  std::string out;
  out.reserve(v.size());
  bool in_space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      if (!in_space) out.push_back(' ');
      in_space = true;
    } else {
      out.push_back(c);
      in_space = false;
    }
  }
  return out;
}

}  // namespace

std::string Credential::scope() const { return date + "/" + region + "/" + service + "/aws4_request"; }

std::optional<Credential> parse_credential(std::string_view s) {
  auto parts = split(s, '/');
  if (parts.size() != 5 || parts[4] != "aws4_request") return std::nullopt;
  for (auto p : parts)
    if (p.empty()) return std::nullopt;
  if (parts[1].size() != 8) return std::nullopt;
  for (char c : parts[1])
    if (c < '0' || c > '9') return std::nullopt;
  return Credential{std::string(parts[0]), std::string(parts[1]), std::string(parts[2]), std::string(parts[3])};
}

std::optional<Authorization> parse_authorization(std::string_view value) {
  static constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
  value = trim(value);
  if (value.substr(0, kAlgorithm.size()) != kAlgorithm) return std::nullopt;
  value.remove_prefix(kAlgorithm.size());
  if (value.empty() || (value.front() != ' ')) return std::nullopt;
  Authorization auth;
  bool have_cred = false, have_headers = false, have_sig = false;
  for (auto field : split(value, ',')) {
    field = trim(field);
    auto eq = field.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    auto name = field.substr(0, eq), val = field.substr(eq + 1);
    if (name == "Credential") {
      if (have_cred) return std::nullopt;
      auto cred = parse_credential(val);
      if (!cred) return std::nullopt;
      auth.credential = std::move(*cred);
      have_cred = true;
    } else if (name == "SignedHeaders") {
      if (have_headers) return std::nullopt;
      for (auto h : split(val, ';')) {
        if (h.empty()) return std::nullopt;
        auth.signed_headers.push_back(lower(h));
      }
      have_headers = true;
    } else if (name == "Signature") {
      if (have_sig || !is_lower_hex(val, 64)) return std::nullopt;
      auth.signature = std::string(val);
      have_sig = true;
    }
  }
  if (!have_cred || !have_headers || !have_sig) return std::nullopt;
  return auth;
}

std::optional<Pairs> parse_query(std::string_view raw) {
  Pairs out;
  if (raw.empty()) return out;
  for (auto part : split(raw, '&')) {
    if (part.empty()) continue;
    auto eq = part.find('=');
    auto name = uri_decode(part.substr(0, eq), true);
    auto val = uri_decode(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1), true);
    if (!name || !val) return std::nullopt;
    out.emplace_back(std::move(*name), std::move(*val));
  }
  return out;
}

std::string canonical_query(const Pairs& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [k, v] : query) encoded.emplace_back(uri_encode(k), uri_encode(v));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [k, v] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += k;
    out.push_back('=');
    out += v;
  }
  return out;
}

std::string canonical_headers(const Pairs& headers, const std::vector<std::string>& signed_headers) {
  std::vector<std::string> names = signed_headers;
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& name : names) {
    std::string joined;
    bool first = true;
    for (const auto& [k, v] : headers) {
      if (lower(k) != name) continue;
      if (!first) joined.push_back(',');
      joined += normalize_value(v);
      first = false;
    }
    out += name;
    out.push_back(':');
    out += joined;
    out.push_back('\n');
  }
  out.push_back('\n');
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out.push_back(';');
    out += names[i];
  }
  return out;
}

std::string canonical_request_text(const CanonicalRequest& r) {
  std::string out = r.method;
  out.push_back('\n');
  out += uri_encode(r.path.empty() ? "/" : r.path, /*keep_slash=*/true);
  out.push_back('\n');
  out += canonical_query(r.query);
  out.push_back('\n');
  out += canonical_headers(r.headers, r.signed_headers);
  out.push_back('\n');
  out += r.payload_hash;
  return out;
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request) {
  std::string out = "AWS4-HMAC-SHA256\n";
  out += amz_date;
  out.push_back('\n');
  out += scope;
  out.push_back('\n');
  out += sha256_hex(canonical_request);
  return out;
}

std::string signing_key(std::string_view secret, const Credential& c) {
  std::string k = hmac_sha256("AWS4" + std::string(secret), c.date);
  k = hmac_sha256(k, c.region);
  k = hmac_sha256(k, c.service);
  return hmac_sha256(k, "aws4_request");
}

std::string signature(std::string_view key, std::string_view sts) { return to_hex(hmac_sha256(key, sts)); }

}  // namespace herd::sigv4

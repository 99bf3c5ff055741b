#include "federation/own_urls.h"

#include <curl/curl.h>

#include <memory>
#include <stdexcept>

#include "federation/content_digest.h"
#include "util/hex.h"
#include "util/uri.h"

namespace herd::federation {

namespace {

struct Parsed {
  std::string scheme, host, path;
  int port = 0;
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The parts of an http(s) URL (path still percent-encoded); nullopt when it is not one.
std::optional<Parsed> parse(const std::string& url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url(), curl_url_cleanup);
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return std::nullopt;
  auto part = [&](CURLUPart what, unsigned flags) -> std::optional<std::string> {
    char* text = nullptr;
    if (curl_url_get(u.get(), what, &text, flags) != CURLUE_OK || !text) return std::nullopt;
    std::string out(text);
    curl_free(text);
    return out;
  };
  auto scheme = part(CURLUPART_SCHEME, 0), host = part(CURLUPART_HOST, 0), port = part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
  auto path = part(CURLUPART_PATH, 0);
  if (!scheme || !host || !port || !path) return std::nullopt;
  Parsed p{lower(*scheme), lower(*host), *path, std::atoi(port->c_str())};
  if (p.scheme != "http" && p.scheme != "https") return std::nullopt;
  return p;
}

}  // namespace

OwnUrls::OwnUrls(const std::vector<std::string>& bases) {
  for (const auto& text : bases) {
    auto p = parse(text);
    if (!p) throw std::invalid_argument("not an http(s) base URL: " + text);
    std::string prefix = p->path;
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    bases_.push_back(Base{p->scheme, p->host, prefix, p->port});
  }
}

std::optional<OwnUrls::Target> OwnUrls::resolve(const std::string& url) const {
  auto p = parse(url);
  if (!p) return std::nullopt;
  for (const auto& base : bases_) {
    if (base.scheme != p->scheme || base.host != p->host || base.port != p->port) continue;
    if (!p->path.starts_with(base.prefix + "/")) continue;
    auto path = uri_decode(std::string_view(p->path).substr(base.prefix.size()));
    if (!path) return std::nullopt;
    constexpr std::string_view kBlobs = "/blobs/", kHashlinks = "/.well-known/apgateway/";
    if (path->starts_with(kBlobs)) {
      std::string hex = path->substr(kBlobs.size());
      hex = hex.substr(0, hex.find('.'));
      auto sha = is_lower_hex(hex, 64) ? from_hex(hex) : std::nullopt;
      if (!sha) return std::nullopt;
      return Target{Target::Kind::kBlob, *sha, {}, {}};
    }
    if (path->starts_with(kHashlinks)) {
      auto parsed = parse_hashlink(path->substr(kHashlinks.size()));
      if (parsed.status != HashlinkParse::Status::kSha256) return std::nullopt;
      return Target{Target::Kind::kBlob, parsed.sha256, {}, {}};
    }
    auto slash = path->find('/', 1);
    if (slash == std::string::npos || slash + 1 >= path->size()) return std::nullopt;
    return Target{Target::Kind::kObject, {}, path->substr(1, slash - 1), path->substr(slash + 1)};
  }
  return std::nullopt;
}

}  // namespace herd::federation

#include "federation/fetch_url.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "federation/fetch_error.h"

namespace herd::federation {

namespace {

using Kind = FetchError::Kind;

std::optional<std::string> part(CURLU* u, CURLUPart which, unsigned int flags = 0) {
  char* s = nullptr;
  if (curl_url_get(u, which, &s, flags) != CURLUE_OK || !s) return std::nullopt;
  std::string out(s);
  curl_free(s);
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

FetchUrl FetchUrl::parse(const std::string& url, const std::vector<int>& allowed_ports) {
  Handle u(curl_url());
  if (!u) throw FetchError(Kind::kUpstreamFailed, "out of memory parsing a URL");
  CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, url.c_str(), CURLU_NON_SUPPORT_SCHEME);
  if (rc != CURLUE_OK) throw FetchError(Kind::kBadUrl, std::string("malformed URL: ") + curl_url_strerror(rc));
  return FetchUrl(std::move(u), false, allowed_ports);
}

FetchUrl FetchUrl::follow(const std::string& location, const std::vector<int>& allowed_ports) const {
  Handle u(curl_url_dup(url_.get()));
  if (!u) throw FetchError(Kind::kUpstreamFailed, "out of memory parsing a URL");
  CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, location.c_str(), CURLU_NON_SUPPORT_SCHEME);
  if (rc != CURLUE_OK)
    throw FetchError(Kind::kUpstreamFailed, std::string("malformed redirect Location: ") + curl_url_strerror(rc));
  return FetchUrl(std::move(u), true, allowed_ports);
}

FetchUrl::FetchUrl(Handle url, bool redirect, const std::vector<int>& allowed_ports) : url_(std::move(url)) {
  const Kind policy = redirect ? Kind::kRefused : Kind::kBadUrl;
  const std::string where = redirect ? "redirect refused: " : "";
  std::string scheme = lower(part(url_.get(), CURLUPART_SCHEME).value_or(""));
  if (scheme != "http" && scheme != "https")
    throw FetchError(policy, where + "unsupported scheme \"" + scheme + "\" (only http and https)");
  if (part(url_.get(), CURLUPART_USER) || part(url_.get(), CURLUPART_PASSWORD) || part(url_.get(), CURLUPART_OPTIONS))
    throw FetchError(policy, where + "URL carries userinfo (credentials are never sent)");
  host_ = part(url_.get(), CURLUPART_HOST).value_or("");
  if (host_.empty()) throw FetchError(policy, where + "URL has no host");
  std::string port = part(url_.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT).value_or("");
  port_ = port.empty() || port.size() > 5 ? 0 : std::stoi(port);  // curl has checked the digits
  if (std::find(allowed_ports.begin(), allowed_ports.end(), port_) == allowed_ports.end())
    throw FetchError(Kind::kRefused, where + "port " + port + " is not allowed ([fetch] allowed_ports)");
  text_ = part(url_.get(), CURLUPART_URL).value_or("");
}

}  // namespace herd::federation

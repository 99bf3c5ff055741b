#pragma once
// One hop's URL, parsed by curl's URL API and checked against the fetch rules: http or https, no
// userinfo, a port (explicit, or the scheme's default 80/443) in allowed_ports. The parsed handle
// is what the fetcher hands to curl (CURLOPT_CURLU), so the URL checked is the URL requested. The
// host's addresses are checked later, at connect time (AddressPolicy). A value owned by one fetch;
// not shared between threads.
#include <curl/curl.h>

#include <memory>
#include <string>
#include <vector>

namespace herd::federation {

class FetchUrl {
 public:
  // The caller's URL. Throws FetchError: kBadUrl when it is unparsable, not http(s), or carries
  // userinfo; kRefused when its port is not allowed.
  static FetchUrl parse(const std::string& url, const std::vector<int>& allowed_ports);
  // A redirect's Location (absolute or relative), resolved against this URL and checked the same
  // way; the origin chose it, so failures are kUpstreamFailed (unparsable) or kRefused (the rest).
  FetchUrl follow(const std::string& location, const std::vector<int>& allowed_ports) const;

  CURLU* handle() const { return url_.get(); }
  const std::string& text() const { return text_; }  // normalized by curl
  const std::string& host() const { return host_; }
  int port() const { return port_; }

 private:
  struct Free {
    void operator()(CURLU* u) const { curl_url_cleanup(u); }
  };
  using Handle = std::unique_ptr<CURLU, Free>;
  FetchUrl(Handle url, bool redirect, const std::vector<int>& allowed_ports);

  Handle url_;
  std::string text_;
  std::string host_;
  int port_ = 0;
};

}  // namespace herd::federation

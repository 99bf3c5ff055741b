#pragma once
// [fetch]: how Herd downloads remote media (Fediverse attachments) by URL. A plain value, copied
// into each Fetcher; the defaults are written once, here.
#include <cstdint>
#include <string>
#include <vector>

namespace herd::federation {

struct FetchOptions {
  std::vector<int> allowed_ports{80, 443};  // the only ports a URL (or a redirect) may name
  // CIDRs exempt from the private-address rule ("127.0.0.1/32"). Empty by default; a switch for
  // tests and LAN deployments only, since it lets tenants make Herd reach those addresses.
  std::vector<std::string> allow_private;
  int64_t max_object_size = 100LL << 20;  // bytes; larger bodies are refused
  int connect_timeout_seconds = 5;
  int timeout_seconds = 60;              // whole request, redirects included
  int64_t max_header_bytes = 64 * 1024;  // response head bytes per response
  int max_redirects = 5;
  int64_t url_cache_seconds = 600;  // (used by the caller's URL→hash cache)
  std::string user_agent = "Herd (+https://github.com/herd-media/herd)";
  bool operator==(const FetchOptions&) const = default;
};

}  // namespace herd::federation

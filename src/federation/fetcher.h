#pragma once
// Downloads remote media by URL for tenants, treating the URL as hostile (no SSRF): http(s) only,
// allowed ports only, no userinfo, and every address curl is about to connect to is checked against
// the AddressPolicy first, so the connection goes to the checked address (DNS rebinding cannot get
// past it). Redirects are followed here, each hop re-checked. Proxy environment variables are
// ignored. Bodies are not decoded (Accept-Encoding: identity): the sink sees the exact bytes.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "federation/address_policy.h"
#include "federation/fetch_error.h"
#include "federation/fetch_options.h"

namespace herd::federation {

struct FetchResult {
  std::string final_url;                                     // after redirects
  int status = 0;                                            // 2xx
  std::string content_type;                                  // the final response's Content-Type ("" if none)
  std::optional<int64_t> content_length;                     // declared by the final response
  int64_t size = 0;                                          // body bytes delivered to the sink (0 for head())
  std::vector<std::pair<std::string, std::string>> headers;  // final response headers, names lower-cased
};

// Each call uses its own curl handle and blocks the calling thread (callers run it on a blocking
// pool); thread-safe. Failures throw FetchError (fetch_error.h says which kind means what).
class Fetcher {
 public:
  // Throws std::invalid_argument for a malformed allow_private CIDR or out-of-range options.
  explicit Fetcher(FetchOptions options);

  // GET: streams the 2xx body to sink(data, len) as it arrives (the sink hashes it; an exception
  // it throws aborts the transfer and propagates). Non-2xx final status -> FetchError
  // kUpstreamStatus (status set). Body larger than max_object_size (declared or actual) ->
  // kTooLarge before/while streaming. Redirects (301, 302, 303, 307, 308) are followed by the
  // fetcher itself, at most max_redirects (more -> kUpstreamFailed), each target re-validated
  // (scheme, port, userinfo, and its addresses at connect time). timeout_seconds bounds the whole
  // sequence (kTimeout); max_header_bytes each hop's response head (1xx heads and trailers included).
  FetchResult get(const std::string& url, const std::function<void(const char*, size_t)>& sink);
  // HEAD with the same rules (no body; a declared Content-Length over max_object_size is kTooLarge).
  FetchResult head(const std::string& url);

  const FetchOptions& options() const { return options_; }

 private:
  FetchResult fetch(const std::string& url, const std::function<void(const char*, size_t)>* sink) const;

  FetchOptions options_;
  AddressPolicy policy_;
};

}  // namespace herd::federation

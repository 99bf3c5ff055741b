#pragma once
// Why a fetch failed. The API layer turns kRefused into 403 FetchRefused.
#include <stdexcept>
#include <string>

namespace herd::federation {

struct FetchError : std::runtime_error {
  enum class Kind {
    kRefused,         // the policy forbids it: a private/loopback address, a port not allowed, an unsafe redirect
    kUpstreamStatus,  // the origin answered with a non-2xx final status (`status`)
    kUpstreamFailed,  // cannot connect, TLS or protocol failure, too many redirects, a malformed redirect
    kTimeout,         // the whole request took longer than timeout_seconds (or connect_timeout_seconds)
    kTooLarge,        // the body (declared or actual) exceeds max_object_size, or the head max_header_bytes
    kBadUrl,          // the caller's URL is unparsable, not http(s), or carries userinfo
  };
  FetchError(Kind kind, const std::string& what, int status = 0)
      : std::runtime_error(what), kind(kind), status(status) {}
  Kind kind;
  int status;  // the origin's HTTP status for kUpstreamStatus, else 0
};

}  // namespace herd::federation

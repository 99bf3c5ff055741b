#include "s3/context.h"

#include "s3/body.h"
#include "s3/error.h"
#include "util/digest.h"

namespace herd::s3 {

std::optional<std::string> Context::query_value(std::string_view name) const {
  for (const auto& [k, v] : query)
    if (k == name) return v;
  return std::nullopt;
}

const Tenant& Context::tenant() const {
  if (!auth.tenant) throw access_denied();
  return *auth.tenant;
}

Bucket Context::existing_bucket() const {
  auto b = pool.meta().bucket_by_name(bucket);
  if (!b) throw no_such_bucket();
  return *b;
}

Bucket Context::owned_bucket() const {
  Bucket b = existing_bucket();
  if (!owns(b)) throw access_denied();
  return b;
}

boost::asio::awaitable<std::string> Context::read_small_body(size_t limit, bool checksum_is_of_body) {
  auto declared = ex.content_length();
  if (declared && *declared > limit) throw invalid_request("Request body too large");
  std::string body;
  char buf[8192];
  while (true) {
    size_t n = co_await ex.read_body(buf, sizeof buf);
    if (n == 0) break;
    if (body.size() + n > limit) throw invalid_request("Request body too large");
    body.append(buf, n);
  }
  verify_small_body(*this, body, checksum_is_of_body);
  co_return body;
}

}  // namespace herd::s3

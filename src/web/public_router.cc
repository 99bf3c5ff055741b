#include "web/public_router.h"

#include "s3/error.h"
#include "s3/names.h"
#include "util/random.h"
#include "util/uri.h"
#include "web/public_read.h"

namespace herd::web {

namespace {

std::string lower_host(std::string_view host) {
  std::string h(host);
  if (auto colon = h.rfind(':'); colon != std::string::npos && h.find(']') == std::string::npos) h.resize(colon);
  for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return h;
}

}  // namespace

http::Response PublicRouter::error_response(unsigned status, std::string_view code, std::string_view message) {
  std::string id = random_string(16, "0123456789ABCDEF");
  return {status,
          {{"Content-Type", "application/xml"}, {"x-amz-request-id", id}, {"X-Content-Type-Options", "nosniff"}},
          s3::error_xml(std::string(code), std::string(message), "", id)};
}

boost::asio::awaitable<void> PublicRouter::handle(http::Exchange& ex) {
  std::optional<s3::Error> failure;
  try {
    co_await route(ex);
  } catch (const s3::Error& e) {
    failure = e;
  }
  if (!failure) co_return;
  http::Response r = error_response(failure->status, failure->code, failure->what());
  for (auto& kv : failure->headers) r.headers.push_back(kv);
  r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  co_await ex.respond(r);
}

boost::asio::awaitable<void> PublicRouter::route(http::Exchange& ex) {
  const std::string_view m = ex.method();
  if (m == "OPTIONS") {
    http::Response preflight{200,
                             {{"Access-Control-Allow-Origin", "*"},
                              {"Access-Control-Allow-Methods", "GET, HEAD"},
                              {"Access-Control-Allow-Headers", "Range, If-None-Match, If-Modified-Since"},
                              {"Access-Control-Max-Age", "86400"}},
                             ""};
    co_await ex.respond(preflight);
    co_return;
  }
  if (m != "GET" && m != "HEAD") throw s3::method_not_allowed();
  auto path = uri_decode(ex.path());
  if (!path || path->empty() || path->front() != '/') throw s3::invalid_request("Malformed request target");
  if (path->find('\0') != std::string::npos || !s3::valid_utf8(*path)) throw s3::invalid_argument("Invalid path");

  constexpr std::string_view kHashlinks = "/.well-known/apgateway/";
  if (path->starts_with(kHashlinks)) {
    co_await serve_hashlink(ex, pool_, blocking_, path->substr(kHashlinks.size()));
    co_return;
  }
  constexpr std::string_view kBlobs = "/blobs/";
  if (path->starts_with(kBlobs)) {
    std::string name = path->substr(kBlobs.size());
    co_await serve_blob(ex, pool_, blocking_, name);
    co_return;
  }
  std::string bucket, key;
  const std::string host = lower_host(ex.header("Host").value_or(""));
  for (const auto& alias : options_.aliases) {
    if (alias.host != host) continue;
    if (!alias.prefix.empty() && !(path->starts_with(alias.prefix + "/"))) continue;
    bucket = alias.bucket;
    key = path->substr(alias.prefix.size() + 1);
    break;
  }
  if (bucket.empty()) {  // path style: /<bucket>/<key>
    auto slash = path->find('/', 1);
    if (slash == std::string::npos) throw s3::access_denied();
    bucket = path->substr(1, slash - 1);
    key = path->substr(slash + 1);
  }
  if (key.size() > s3::kMaxKeyBytes) throw s3::key_too_long();
  co_await serve_public_object(ex, pool_, blocking_, options_, bucket, key);
}

}  // namespace herd::web

#include "federation/fetcher.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string_view>

#include "federation/fetch_url.h"

namespace herd::federation {

namespace {

using Kind = FetchError::Kind;
using Sink = std::function<void(const char*, size_t)>;
using Clock = std::chrono::steady_clock;

bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string address_text(const sockaddr* addr) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (addr->sa_family == AF_INET)
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(addr)->sin_addr, buf, sizeof buf);
  else if (addr->sa_family == AF_INET6)
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr, buf, sizeof buf);
  return buf;
}

std::optional<int64_t> parse_length(std::string_view v) {
  if (v.empty() || v.size() > 18) return std::nullopt;
  int64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

// What one hop's curl callbacks see and record. Callbacks never throw into curl: they store the
// failure and return an error code, and the fetch rethrows it after curl_easy_perform returns.
struct Hop {
  const AddressPolicy* policy = nullptr;
  const FetchOptions* options = nullptr;
  const Sink* sink = nullptr;  // null for HEAD
  long status = 0;             // of the latest response head
  std::vector<std::pair<std::string, std::string>> headers;
  int64_t header_bytes = 0;
  int64_t body_bytes = 0;
  bool stopped_non_2xx_body = false;  // we cut off a redirect's or error's body: it is not wanted
  std::vector<std::string> refused;   // addresses the policy refused
  int opened = 0;                     // sockets opened to allowed addresses
  std::exception_ptr failure;

  std::optional<std::string> header(std::string_view name) const {
    std::optional<std::string> found;
    for (const auto& [k, v] : headers)
      if (k == name) found = v;  // the last one counts
    return found;
  }
};

curl_socket_t on_open_socket(void* user, curlsocktype purpose, curl_sockaddr* a) {
  auto* hop = static_cast<Hop*>(user);
  if (purpose != CURLSOCKTYPE_IPCXN || !hop->policy->allows(&a->addr)) {
    hop->refused.push_back(address_text(&a->addr));
    return CURL_SOCKET_BAD;
  }
  int fd = ::socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
  if (fd < 0) return CURL_SOCKET_BAD;
  ++hop->opened;
  return fd;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* hop = static_cast<Hop*>(user);
  size_t n = size * count;
  hop->header_bytes += static_cast<int64_t>(n);
  if (hop->header_bytes > hop->options->max_header_bytes) {
    hop->failure = std::make_exception_ptr(
        FetchError(Kind::kTooLarge,
                   "response headers too large (over " + std::to_string(hop->options->max_header_bytes) + " bytes)"));
    return 0;
  }
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {  // a new response head (an interim 1xx came before)
    hop->headers.clear();
    auto space = line.find(' ');
    hop->status = space == std::string_view::npos ? 0 : parse_length(line.substr(space + 1, 3)).value_or(0);
    return n;
  }
  if (line.empty()) {  // the end of a head: a 2xx declaring too big a body is refused before it streams
    auto declared = parse_length(hop->header("content-length").value_or(""));
    if (hop->status / 100 == 2 && declared && *declared > hop->options->max_object_size) {
      hop->failure = std::make_exception_ptr(
          FetchError(Kind::kTooLarge, "object too large: Content-Length " + std::to_string(*declared) +
                                          " exceeds max_object_size " + std::to_string(hop->options->max_object_size)));
      return 0;
    }
    return n;
  }
  auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
  };
  if ((line.front() == ' ' || line.front() == '\t') && !hop->headers.empty()) {  // obsolete line folding
    hop->headers.back().second += " ";
    hop->headers.back().second += trim(line);
    return n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name(trim(line.substr(0, colon)));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  hop->headers.emplace_back(std::move(name), std::string(trim(line.substr(colon + 1))));
  return n;
}

size_t on_write(char* data, size_t size, size_t count, void* user) {
  auto* hop = static_cast<Hop*>(user);
  size_t n = size * count;
  if (hop->status / 100 != 2) {
    hop->stopped_non_2xx_body = true;
    return 0;  // stops the transfer; the head is all we use
  }
  if (hop->body_bytes + static_cast<int64_t>(n) > hop->options->max_object_size) {
    hop->failure = std::make_exception_ptr(FetchError(
        Kind::kTooLarge,
        "object too large: more than max_object_size " + std::to_string(hop->options->max_object_size) + " bytes"));
    return 0;
  }
  hop->body_bytes += static_cast<int64_t>(n);
  if (hop->sink && *hop->sink) {
    try {
      (*hop->sink)(data, n);
    } catch (...) {
      hop->failure = std::current_exception();
      return 0;
    }
  }
  return n;
}

struct CurlFree {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistFree {
  void operator()(curl_slist* s) const { curl_slist_free_all(s); }
};

}  // namespace

Fetcher::Fetcher(FetchOptions options) : options_(std::move(options)), policy_(options_.allow_private) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  for (int p : options_.allowed_ports)
    if (p < 1 || p > 65535) throw std::invalid_argument("[fetch] allowed_ports: " + std::to_string(p) + " is no port");
  if (options_.max_object_size < 0 || options_.max_header_bytes <= 0 || options_.connect_timeout_seconds <= 0 ||
      options_.timeout_seconds <= 0 || options_.max_redirects < 0)
    throw std::invalid_argument("[fetch]: sizes, timeouts and max_redirects must not be negative (timeouts > 0)");
}

FetchResult Fetcher::get(const std::string& url, const std::function<void(const char*, size_t)>& sink) {
  return fetch(url, &sink);
}

FetchResult Fetcher::head(const std::string& url) { return fetch(url, nullptr); }

FetchResult Fetcher::fetch(const std::string& url, const Sink* sink) const {
  const auto deadline = Clock::now() + std::chrono::seconds(options_.timeout_seconds);
  FetchUrl target = FetchUrl::parse(url, options_.allowed_ports);

  std::unique_ptr<CURL, CurlFree> curl(curl_easy_init());
  if (!curl) throw FetchError(Kind::kUpstreamFailed, "curl_easy_init failed");
  std::unique_ptr<curl_slist, SlistFree> request_headers(curl_slist_append(nullptr, "Accept-Encoding: identity"));
  char error[CURL_ERROR_SIZE] = "";
  Hop hop;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_PROXY, "");  // no proxy, whatever the environment says
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, request_headers.get());
  curl_easy_setopt(c, CURLOPT_HTTP_CONTENT_DECODING, 0L);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &hop);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &hop);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &hop);
  if (sink)
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  else
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);

  const std::string timed_out = "timed out after " + std::to_string(options_.timeout_seconds) + " s";
  for (int redirects = 0;; ++redirects) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) throw FetchError(Kind::kTimeout, timed_out);
    hop = Hop{};
    hop.policy = &policy_;
    hop.options = &options_;
    hop.sink = sink;
    error[0] = '\0';
    curl_easy_setopt(c, CURLOPT_CURLU, target.handle());
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(left));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::min<int64_t>(left, options_.connect_timeout_seconds * 1000LL)));

    CURLcode rc = curl_easy_perform(c);
    if (hop.failure) std::rethrow_exception(hop.failure);
    if (rc == CURLE_WRITE_ERROR && hop.stopped_non_2xx_body) rc = CURLE_OK;
    if (rc != CURLE_OK) {
      if (!hop.refused.empty() && hop.opened == 0) {
        std::string list;
        for (const auto& a : hop.refused)
          if (list.find(a) == std::string::npos) list += (list.empty() ? "" : ", ") + a;
        throw FetchError(Kind::kRefused, "refused to connect to " + list + ": loopback/private address");
      }
      std::string detail = error[0] ? error : curl_easy_strerror(rc);
      if (rc == CURLE_OPERATION_TIMEDOUT) throw FetchError(Kind::kTimeout, timed_out + " (" + detail + ")");
      throw FetchError(Kind::kUpstreamFailed, "fetching from " + target.host() + " failed: " + detail);
    }

    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (is_redirect(status)) {
      auto location = hop.header("location");
      if (location && !location->empty()) {
        if (redirects >= options_.max_redirects)
          throw FetchError(Kind::kUpstreamFailed,
                           "too many redirects (more than " + std::to_string(options_.max_redirects) + ")");
        target = target.follow(*location, options_.allowed_ports);
        continue;
      }
    }
    if (status / 100 != 2)
      throw FetchError(Kind::kUpstreamStatus, "origin answered HTTP " + std::to_string(status),
                       static_cast<int>(status));

    FetchResult result;
    result.final_url = target.text();
    result.status = static_cast<int>(status);
    result.content_type = hop.header("content-type").value_or("");
    result.content_length = parse_length(hop.header("content-length").value_or(""));
    result.size = hop.body_bytes;
    result.headers = std::move(hop.headers);
    return result;
  }
}

}  // namespace herd::federation

// Fetcher against a loopback origin (test_origin.h): byte-exact streaming, and every SSRF rule:
// refused addresses (also behind names and redirects), ports, schemes, userinfo, redirect limits,
// size, header and time caps.
#include "federation/fetcher.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test_origin.h"

namespace herd::federation {
namespace {

using testing::OriginReply;
using testing::TestOrigin;
using Kind = FetchError::Kind;

// Options that let the fetcher reach `origin` (and only 127.0.0.1 among private addresses).
FetchOptions reach(const TestOrigin& origin) {
  FetchOptions o;
  o.allowed_ports = {origin.port()};
  o.allow_private = {"127.0.0.1/32"};
  return o;
}

std::string url(const TestOrigin& origin, const std::string& path, const std::string& host = "127.0.0.1") {
  return "http://" + host + ":" + std::to_string(origin.port()) + path;
}

std::string binary_body(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
  return s;
}

// The FetchError a call throws (fails the test when it throws none).
template <typename F>
FetchError error_of(F&& call) {
  try {
    call();
  } catch (const FetchError& e) {
    return e;
  }
  ADD_FAILURE() << "no FetchError thrown";
  return FetchError(Kind::kUpstreamFailed, "(none)");
}

FetchError get_error(Fetcher& f, const std::string& u, std::string* body = nullptr) {
  return error_of([&] {
    f.get(u, [&](const char* d, size_t n) {
      if (body) body->append(d, n);
    });
  });
}

TEST(Fetcher, StreamsA200BodyByteExact) {
  TestOrigin origin;
  const std::string body = binary_body(300000);
  origin.route("/media/a.png", {200, {{"Content-Type", "image/png"}, {"X-Thing", "  v  "}}, body});
  Fetcher f(reach(origin));
  std::string got;
  int chunks = 0;
  FetchResult r = f.get(url(origin, "/media/a.png"), [&](const char* d, size_t n) {
    got.append(d, n);
    ++chunks;
  });
  EXPECT_TRUE(got == body) << "got " << got.size() << " bytes";
  EXPECT_GT(chunks, 1);  // streamed, not buffered whole
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.size, static_cast<int64_t>(body.size()));
  EXPECT_EQ(r.content_length, static_cast<int64_t>(body.size()));
  EXPECT_EQ(r.content_type, "image/png");
  EXPECT_EQ(r.final_url, url(origin, "/media/a.png"));
  bool saw = false;
  for (const auto& [k, v] : r.headers)
    if (k == "x-thing") saw = v == "v";
  EXPECT_TRUE(saw);
  ASSERT_EQ(origin.heads().size(), 1u);
  const std::string head = origin.heads()[0];
  EXPECT_NE(head.find("\r\nAccept-Encoding: identity"), std::string::npos) << head;
  EXPECT_NE(head.find("\r\nUser-Agent: Herd (+https://github.com/herd-media/herd)"), std::string::npos) << head;
}

TEST(Fetcher, BodyIsNotDecoded) {
  TestOrigin origin;
  const std::string body = "not really gzip \x1f\x8b\x08";
  origin.route("/z", {200, {{"Content-Encoding", "gzip"}}, body});
  Fetcher f(reach(origin));
  std::string got;
  f.get(url(origin, "/z"), [&](const char* d, size_t n) { got.append(d, n); });
  EXPECT_EQ(got, body);
}

TEST(Fetcher, LoopbackIsRefusedWithoutTheExemption) {
  TestOrigin origin;
  origin.route("/a", {200, {}, "secret"});
  FetchOptions o = reach(origin);
  o.allow_private.clear();
  Fetcher f(o);
  std::string got;
  FetchError e = get_error(f, url(origin, "/a"), &got);
  EXPECT_EQ(e.kind, Kind::kRefused) << e.what();
  EXPECT_NE(std::string(e.what()).find("refused to connect to 127.0.0.1"), std::string::npos) << e.what();
  EXPECT_EQ(got, "");
  EXPECT_EQ(origin.connections(), 0);
  EXPECT_EQ(error_of([&] { f.head(url(origin, "/a")); }).kind, Kind::kRefused);
  EXPECT_EQ(origin.connections(), 0);
}

TEST(Fetcher, EverySpellingOfLoopbackIsRefused) {
  TestOrigin origin;
  origin.route("/a", {200, {}, "secret"});
  FetchOptions o = reach(origin);
  o.allow_private.clear();
  Fetcher f(o);
  // A name resolving to loopback, IPv6 loopback, IPv4-mapped, numeric forms, and 0.0.0.0 (which
  // reaches the local host on Linux).
  for (const char* host : {"localhost", "[::1]", "[::ffff:127.0.0.1]", "2130706433", "0x7f.1", "127.1", "0.0.0.0"}) {
    FetchError e = get_error(f, url(origin, "/a", host));
    EXPECT_EQ(e.kind, Kind::kRefused) << host << ": " << e.what();
  }
  EXPECT_EQ(origin.connections(), 0);
}

TEST(Fetcher, TheExemptionAppliesToTheAddressConnectedTo) {
  TestOrigin origin;
  origin.route("/a", {200, {}, "hello"});
  Fetcher f(reach(origin));  // 127.0.0.1/32
  std::string got;
  f.get(url(origin, "/a", "[::ffff:127.0.0.1]"), [&](const char* d, size_t n) { got.append(d, n); });
  EXPECT_EQ(got, "hello");
  got.clear();
  // localhost is 127.0.0.1 and ::1: the one refused, the other exempt.
  f.get(url(origin, "/a", "localhost"), [&](const char* d, size_t n) { got.append(d, n); });
  EXPECT_EQ(got, "hello");
}

TEST(Fetcher, RedirectToAnUnexemptedAddressIsRefused) {
  TestOrigin inner("127.0.0.2");  // loopback, but not in allow_private
  inner.route("/a", {200, {}, "internal"});
  TestOrigin origin;
  origin.route("/r", {302, {{"Location", url(inner, "/a", "127.0.0.2")}}, ""});
  FetchOptions o = reach(origin);
  o.allowed_ports = {origin.port(), inner.port()};
  std::string got;
  {
    Fetcher f(o);
    FetchError e = get_error(f, url(origin, "/r"), &got);
    EXPECT_EQ(e.kind, Kind::kRefused) << e.what();
    EXPECT_NE(std::string(e.what()).find("127.0.0.2"), std::string::npos) << e.what();
    EXPECT_EQ(origin.requests(), std::vector<std::string>{"GET /r"});
    EXPECT_EQ(inner.connections(), 0);
  }
  o.allow_private = {"127.0.0.0/8"};  // the control: exempt, the same redirect is followed
  Fetcher f(o);
  FetchResult r = f.get(url(origin, "/r"), [&](const char* d, size_t n) { got.append(d, n); });
  EXPECT_EQ(got, "internal");
  EXPECT_EQ(r.final_url, url(inner, "/a", "127.0.0.2"));
}

TEST(Fetcher, PortsNotAllowedAreRefusedWithoutConnecting) {
  TestOrigin origin;
  origin.route("/a", {200, {}, "x"});
  FetchOptions o = reach(origin);
  o.allowed_ports = {80, 443};
  Fetcher defaults(o);
  FetchError e = get_error(defaults, url(origin, "/a"));
  EXPECT_EQ(e.kind, Kind::kRefused) << e.what();
  EXPECT_NE(std::string(e.what()).find("port " + std::to_string(origin.port())), std::string::npos) << e.what();

  // The scheme's default port counts: http:// is port 80, not in {origin's port}.
  Fetcher only_origin(reach(origin));
  e = get_error(only_origin, "http://127.0.0.1/a");
  EXPECT_EQ(e.kind, Kind::kRefused) << e.what();
  EXPECT_NE(std::string(e.what()).find("port 80"), std::string::npos) << e.what();
  e = get_error(only_origin, "https://127.0.0.1/a");
  EXPECT_EQ(e.kind, Kind::kRefused) << e.what();
  EXPECT_NE(std::string(e.what()).find("port 443"), std::string::npos) << e.what();
  EXPECT_EQ(origin.connections(), 0);

  // A redirect to another port is refused too.
  origin.route("/r", {302, {{"Location", "http://127.0.0.1:" + std::to_string(origin.port() ^ 1) + "/a"}}, ""});
  e = get_error(only_origin, url(origin, "/r"));
  EXPECT_EQ(e.kind, Kind::kRefused) << e.what();
  EXPECT_EQ(origin.requests(), std::vector<std::string>{"GET /r"});
}

TEST(Fetcher, FollowsRedirectsUpToTheLimit) {
  TestOrigin origin;
  const std::string base = "http://127.0.0.1:" + std::to_string(origin.port());
  origin.route("/r0", {301, {{"Location", "/r1"}}, "moved"});
  origin.route("/r1", {302, {{"Location", "r2"}}, ""});
  origin.route("/r2", {303, {{"Location", base + "/r3"}}, ""});
  origin.route("/r3", {307, {{"Location", "//127.0.0.1:" + std::to_string(origin.port()) + "/r4"}}, ""});
  origin.route("/r4", {308, {{"Location", "/r5"}}, ""});
  origin.route("/r5", {200, {{"Content-Type", "text/plain"}}, "end"});
  FetchOptions o = reach(origin);
  std::string got;
  FetchResult r = Fetcher(o).get(base + "/r0", [&](const char* d, size_t n) { got.append(d, n); });
  EXPECT_EQ(got, "end");  // the redirects' own bodies are not delivered
  EXPECT_EQ(r.final_url, base + "/r5");
  EXPECT_EQ(r.content_type, "text/plain");
  EXPECT_EQ(origin.requests().size(), 6u);

  o.max_redirects = 4;
  Fetcher strict(o);
  FetchError e = get_error(strict, base + "/r0");
  EXPECT_EQ(e.kind, Kind::kUpstreamFailed) << e.what();
  EXPECT_NE(std::string(e.what()).find("too many redirects"), std::string::npos) << e.what();
  EXPECT_EQ(origin.requests().size(), 6u + 5u);  // r0..r4, not r5
}

TEST(Fetcher, ARedirectLoopStopsAfterMaxRedirects) {
  TestOrigin origin;
  origin.route("/loop", {302, {{"Location", "/loop"}}, ""});
  Fetcher f(reach(origin));
  EXPECT_EQ(get_error(f, url(origin, "/loop")).kind, Kind::kUpstreamFailed);
  EXPECT_EQ(origin.requests().size(), 6u);  // the first request and 5 redirects
}

TEST(Fetcher, UnsafeRedirectTargetsAreRefused) {
  TestOrigin origin;
  origin.route("/file", {302, {{"Location", "file:///etc/passwd"}}, ""});
  origin.route("/ftp", {301, {{"Location", "ftp://127.0.0.1:" + std::to_string(origin.port()) + "/a"}}, ""});
  origin.route("/creds", {302, {{"Location", "http://user:pw@127.0.0.1:" + std::to_string(origin.port()) + "/a"}}, ""});
  origin.route("/bad", {302, {{"Location", "http://exa mple.com:99999/"}}, ""});
  origin.route("/none", {302, {}, ""});
  origin.route("/a", {200, {}, "a"});
  Fetcher f(reach(origin));
  for (const char* path : {"/file", "/ftp", "/creds"}) {
    FetchError e = get_error(f, url(origin, path));
    EXPECT_EQ(e.kind, Kind::kRefused) << path << ": " << e.what();
  }
  EXPECT_EQ(get_error(f, url(origin, "/bad")).kind, Kind::kUpstreamFailed);
  FetchError none = get_error(f, url(origin, "/none"));  // a redirect without Location is a final status
  EXPECT_EQ(none.kind, Kind::kUpstreamStatus);
  EXPECT_EQ(none.status, 302);
  for (const auto& req : origin.requests()) EXPECT_NE(req, "GET /a");
}

TEST(Fetcher, BadUrlsAndSchemes) {
  TestOrigin origin;
  origin.route("/a", {200, {}, "a"});
  Fetcher f(reach(origin));
  const std::string port = std::to_string(origin.port());
  for (const std::string& u :
       {"ftp://127.0.0.1:" + port + "/a", std::string("file:///etc/passwd"), "gopher://127.0.0.1:" + port + "/",
        "dict://127.0.0.1:" + port + "/", std::string("not a url"), std::string(""),
        std::string("127.0.0.1:") + port + "/a", "http://user:pw@127.0.0.1:" + port + "/a",
        "http://user@127.0.0.1:" + port + "/a", "http://:pw@127.0.0.1:" + port + "/a"}) {
    FetchError e = get_error(f, u);
    EXPECT_EQ(e.kind, Kind::kBadUrl) << u << ": " << e.what();
    EXPECT_EQ(error_of([&] { f.head(u); }).kind, Kind::kBadUrl) << u;
  }
  EXPECT_EQ(origin.connections(), 0);
}

TEST(Fetcher, BodiesOverMaxObjectSizeAreTooLarge) {
  TestOrigin origin;
  const std::string body = binary_body(200000);
  origin.route("/declared", {200, {}, body});
  origin.route("/undeclared", {200, {}, body, /*content_length=*/false});
  FetchOptions o = reach(origin);
  o.max_object_size = 100000;
  Fetcher f(o);

  std::string got;
  FetchError e = get_error(f, url(origin, "/declared"), &got);
  EXPECT_EQ(e.kind, Kind::kTooLarge) << e.what();
  EXPECT_EQ(got.size(), 0u);  // refused before streaming
  EXPECT_EQ(error_of([&] { f.head(url(origin, "/declared")); }).kind, Kind::kTooLarge);

  got.clear();
  e = get_error(f, url(origin, "/undeclared"), &got);
  EXPECT_EQ(e.kind, Kind::kTooLarge) << e.what();
  EXPECT_LE(got.size(), 100000u);

  // Exactly max_object_size is fine, declared or not.
  o.max_object_size = 200000;
  Fetcher exact(o);
  for (const char* path : {"/declared", "/undeclared"}) {
    got.clear();
    FetchResult r = exact.get(url(origin, path), [&](const char* d, size_t n) { got.append(d, n); });
    EXPECT_TRUE(got == body) << path;
    EXPECT_EQ(r.size, 200000) << path;
  }
}

TEST(Fetcher, NonSuccessStatusIsUpstreamStatus) {
  TestOrigin origin;
  origin.route("/gone", {410, {}, "gone"});
  origin.route("/err", {500, {}, binary_body(500000)});  // an error's body is not read, whatever its size
  FetchOptions o = reach(origin);
  o.max_object_size = 1000;
  Fetcher f(o);
  std::string got;
  FetchError e = get_error(f, url(origin, "/missing"), &got);
  EXPECT_EQ(e.kind, Kind::kUpstreamStatus) << e.what();
  EXPECT_EQ(e.status, 404);
  EXPECT_EQ(got, "");
  EXPECT_EQ(get_error(f, url(origin, "/gone")).status, 410);
  e = get_error(f, url(origin, "/err"));
  EXPECT_EQ(e.kind, Kind::kUpstreamStatus) << e.what();
  EXPECT_EQ(e.status, 500);
  e = error_of([&] { f.head(url(origin, "/missing")); });
  EXPECT_EQ(e.kind, Kind::kUpstreamStatus);
  EXPECT_EQ(e.status, 404);
}

TEST(Fetcher, AStalledOriginTimesOut) {
  TestOrigin origin;
  origin.route("/stall", {200, {}, "", true, /*stall=*/true});
  FetchOptions o = reach(origin);
  o.timeout_seconds = 1;
  Fetcher f(o);
  auto start = std::chrono::steady_clock::now();
  FetchError e = get_error(f, url(origin, "/stall"));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(e.kind, Kind::kTimeout) << e.what();
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_LT(took, std::chrono::milliseconds(2500));
}

TEST(Fetcher, TheTimeoutCoversTheWholeRedirectChain) {
  TestOrigin origin;
  OriginReply slow_redirect{302, {{"Location", "/b"}}, ""};
  slow_redirect.delay_ms = 600;
  origin.route("/a", slow_redirect);
  OriginReply slow_body{200, {}, "late"};
  slow_body.delay_ms = 600;
  origin.route("/b", slow_body);
  FetchOptions o = reach(origin);
  o.timeout_seconds = 1;  // each hop alone fits in it; both do not
  Fetcher f(o);
  auto start = std::chrono::steady_clock::now();
  FetchError e = get_error(f, url(origin, "/a"));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(e.kind, Kind::kTimeout) << e.what();
  EXPECT_LT(took, std::chrono::milliseconds(1500));
  EXPECT_EQ(origin.requests(), (std::vector<std::string>{"GET /a", "GET /b"}));
}

TEST(Fetcher, HeadersOverMaxHeaderBytesAreTooLarge) {
  TestOrigin origin;
  origin.route("/big", {200, {{"X-Big", std::string(8000, 'h')}}, "x"});
  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i < 100; ++i) many.emplace_back("X-H" + std::to_string(i), std::string(60, 'v'));
  origin.route("/many", {200, many, "x"});
  origin.route("/fits", {200, {{"X-Big", std::string(3000, 'h')}}, "x"});
  FetchOptions o = reach(origin);
  o.max_header_bytes = 4096;
  Fetcher f(o);
  for (const char* path : {"/big", "/many"}) {
    FetchError e = get_error(f, url(origin, path));
    EXPECT_EQ(e.kind, Kind::kTooLarge) << path << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find("response headers too large"), std::string::npos) << e.what();
  }
  EXPECT_EQ(error_of([&] { f.head(url(origin, "/many")); }).kind, Kind::kTooLarge);
  EXPECT_EQ(f.get(url(origin, "/fits"), [](const char*, size_t) {}).size, 1);
}

TEST(Fetcher, HeadReturnsLengthAndHeaders) {
  TestOrigin origin;
  origin.route("/a", {200, {{"Content-Type", "video/mp4"}, {"ETag", "\"abc\""}}, std::string(1234, 'b')});
  Fetcher f(reach(origin));
  FetchResult r = f.head(url(origin, "/a"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_length, 1234);
  EXPECT_EQ(r.size, 0);
  EXPECT_EQ(r.content_type, "video/mp4");
  std::string etag;
  for (const auto& [k, v] : r.headers)
    if (k == "etag") etag = v;
  EXPECT_EQ(etag, "\"abc\"");
  EXPECT_EQ(origin.requests(), std::vector<std::string>{"HEAD /a"});
}

TEST(Fetcher, ASinkExceptionAbortsAndPropagates) {
  TestOrigin origin;
  origin.route("/a", {200, {}, binary_body(300000)});
  Fetcher f(reach(origin));
  size_t calls = 0;
  EXPECT_THROW(f.get(url(origin, "/a"),
                     [&](const char*, size_t) {
                       ++calls;
                       throw std::logic_error("disk full");
                     }),
               std::logic_error);
  EXPECT_EQ(calls, 1u);
}

TEST(Fetcher, ProxyEnvironmentIsIgnored) {
  TestOrigin origin;
  origin.route("/a", {200, {}, "direct"});
  ::setenv("http_proxy", "http://127.0.0.1:9/", 1);
  ::setenv("all_proxy", "http://127.0.0.1:9/", 1);
  std::string got;
  try {
    Fetcher(reach(origin)).get(url(origin, "/a"), [&](const char* d, size_t n) { got.append(d, n); });
  } catch (const FetchError& e) {
    ADD_FAILURE() << e.what();
  }
  ::unsetenv("http_proxy");
  ::unsetenv("all_proxy");
  EXPECT_EQ(got, "direct");
}

TEST(Fetcher, ConcurrentCallsShareOneFetcher) {
  TestOrigin origin;
  const std::string body = binary_body(50000);
  origin.route("/a", {200, {}, body});
  Fetcher f(reach(origin));
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        std::string got;
        try {
          f.get(url(origin, "/a"), [&](const char* d, size_t n) { got.append(d, n); });
        } catch (const FetchError&) {
          continue;
        }
        ok[t] += got == body;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok, std::vector<int>(4, 5));
}

TEST(Fetcher, OptionsAreCheckedAndKept) {
  FetchOptions d;
  EXPECT_EQ(d.allowed_ports, (std::vector<int>{80, 443}));
  EXPECT_TRUE(d.allow_private.empty());
  EXPECT_EQ(d.max_object_size, 100LL << 20);
  EXPECT_EQ(d.max_redirects, 5);
  EXPECT_EQ(Fetcher(d).options(), d);

  FetchOptions bad_cidr;
  bad_cidr.allow_private = {"127.0.0.1"};
  EXPECT_THROW(Fetcher{bad_cidr}, std::invalid_argument);
  FetchOptions bad_port;
  bad_port.allowed_ports = {80, 0};
  EXPECT_THROW(Fetcher{bad_port}, std::invalid_argument);
  FetchOptions bad_timeout;
  bad_timeout.timeout_seconds = 0;
  EXPECT_THROW(Fetcher{bad_timeout}, std::invalid_argument);
}

}  // namespace
}  // namespace herd::federation

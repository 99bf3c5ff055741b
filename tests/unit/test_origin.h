#pragma once
// A tiny HTTP/1.1 origin for fetcher tests: listens on an IPv4 loopback address (127.0.0.1 unless
// told; any 127/8 address works on Linux), answers one request per connection by path from a
// table, and records what it saw. Serves connections one at a time on its own thread; bounded:
// the destructor stops the thread (a stalled reply is abandoned within ~50 ms).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace herd::federation::testing {

struct OriginReply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool content_length = true;  // false: the body runs to the connection's close
  bool stall = false;          // read the request, then never answer
  int delay_ms = 0;            // wait this long before answering
};

class TestOrigin {
 public:
  explicit TestOrigin(const std::string& ip = "127.0.0.1") {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
    socklen_t len = sizeof a;
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(listener_, 16) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("test origin: cannot listen on " + ip);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~TestOrigin() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }
  TestOrigin(const TestOrigin&) = delete;
  TestOrigin& operator=(const TestOrigin&) = delete;

  int port() const { return port_; }
  void route(const std::string& path, OriginReply reply) {
    std::lock_guard lock(mu_);
    routes_[path] = std::move(reply);
  }
  // "GET /path" per request received, in order.
  std::vector<std::string> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  // The raw heads of those requests (request line and headers).
  std::vector<std::string> heads() const {
    std::lock_guard lock(mu_);
    return heads_;
  }
  int connections() const { return connections_; }

 private:
  // Waits for `fd` to become readable; false when stopping or after `ms` without it.
  bool readable(int fd, int ms = 5000) {
    for (int waited = 0; !stop_ && waited < ms; waited += 50) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) return true;
    }
    return false;
  }

  void serve() {
    while (!stop_) {
      if (!readable(listener_, 50)) continue;
      int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++connections_;
      answer(fd);
      ::close(fd);
    }
  }

  void answer(int fd) {
    std::string request;
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
      if (!readable(fd)) return;
      char buf[4096];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return;
      request.append(buf, static_cast<size_t>(n));
    }
    std::string method = request.substr(0, request.find(' '));
    auto path_start = method.size() + 1;
    std::string path = request.substr(path_start, request.find(' ', path_start) - path_start);
    OriginReply reply{404, {}, "not found"};
    {
      std::lock_guard lock(mu_);
      requests_.push_back(method + " " + path);
      heads_.push_back(request.substr(0, request.find("\r\n\r\n")));
      if (auto it = routes_.find(path); it != routes_.end()) reply = it->second;
    }
    if (reply.stall) {
      while (readable(fd)) {  // until the client gives up (EOF) or we stop
        char buf[256];
        if (::recv(fd, buf, sizeof buf, 0) <= 0) return;
      }
      return;
    }
    for (int waited = 0; waited < reply.delay_ms && !stop_; waited += 10)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\n";
    for (const auto& [k, v] : reply.headers) out += k + ": " + v + "\r\n";
    if (reply.content_length) out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
    out += "Connection: close\r\n\r\n";
    if (method != "HEAD") out += reply.body;
    for (size_t sent = 0; sent < out.size() && !stop_;) {
      ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno == EAGAIN) {
        pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, 50);
        continue;
      }
      if (n <= 0) return;  // the client hung up (a refused body)
      sent += static_cast<size_t>(n);
    }
  }

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mu_;
  std::map<std::string, OriginReply> routes_;
  std::vector<std::string> requests_;
  std::vector<std::string> heads_;
  std::thread thread_;
};

}  // namespace herd::federation::testing

#pragma once
// An HTTP/1.1 server on Boost.Beast with one coroutine per connection, keep-alive and
// pipelining, a bounded request head and I/O timeouts. Requests go to a Handler. Each
// connection lives on one of the IoPool's single-threaded contexts.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "http/handler.h"
#include "http/io_pool.h"

namespace herd::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 9000;
  uint32_t max_header_bytes = 16 * 1024;
  uint32_t max_header_count = 100;
  uint32_t max_connections = 4096;          // further connections are closed at once
  std::chrono::seconds io_timeout{60};    // a read or write making no progress this long fails
  std::chrono::seconds idle_timeout{75};  // keep-alive connections idle this long are closed
};

class Server {
 public:
  // Binds and listens immediately, so errors such as "address in use" surface here.
  Server(IoPool& io, ServerOptions options, Handler& handler);
  // Starts accepting connections; they run on the pool's threads.
  void start();
  // The bound port (useful when listening on port 0).
  uint16_t port() const;

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(asio::ip::tcp::socket socket);

  IoPool& io_;
  ServerOptions options_;
  Handler& handler_;
  asio::ip::tcp::acceptor acceptor_;
  std::atomic<uint32_t> connections_{0};
};

}  // namespace herd::http

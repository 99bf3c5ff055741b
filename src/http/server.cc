#include "http/server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <sstream>

#include "http/beast_exchange.h"
#include "util/unavailable.h"

namespace herd::http {

namespace bhttp = beast::http;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t kHeadBuffer = 8 * 1024;

bool is_disconnect(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
         ec == asio::error::connection_reset || ec == asio::error::operation_aborted;
}

// The raw bytes of a response to a request whose head could not be parsed.
std::string malformed_response(Handler& handler, const beast::error_code& ec) {
  unsigned status = ec == bhttp::error::header_limit ? 431 : 400;
  Response r = handler.error_response(status, status == 431 ? "RequestHeaderSectionTooLarge" : "BadRequest",
                                      "Malformed HTTP request: " + ec.message());
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::server, "Herd");
  for (const auto& [k, v] : r.headers) res.insert(k, v);
  res.keep_alive(false);
  res.body() = std::move(r.body);
  res.prepare_payload();
  std::ostringstream out;
  out << res;
  return out.str();
}

// Closes gracefully: stop sending, then discard what the peer still sends for a moment, so
// an error response is not lost to a reset while the client is mid-body.
asio::awaitable<void> linger_close(beast::tcp_stream& stream) {
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(std::chrono::seconds(2));
  char sink[16384];
  for (size_t total = 0; total < (1u << 20);) {
    auto [rec, n] = co_await stream.async_read_some(asio::buffer(sink), asio::as_tuple(use_awaitable));
    if (rec) break;
    total += n;
  }
  stream.socket().close(ec);
}

}  // namespace

Server::Server(IoPool& io, ServerOptions options, Handler& handler)
    : io_(io), options_(std::move(options)), handler_(handler), acceptor_(io.main()) {
  tcp::endpoint ep{asio::ip::make_address(options_.host), options_.port};
  acceptor_.open(ep.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

uint16_t Server::port() const { return acceptor_.local_endpoint().port(); }

void Server::start() { asio::co_spawn(io_.main(), accept_loop(), asio::detached); }

asio::awaitable<void> Server::accept_loop() {
  while (true) {
    auto [ec, socket] = co_await acceptor_.async_accept(io_.next(), asio::as_tuple(use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      spdlog::warn("accept: {}", ec.message());
      continue;
    }
    beast::error_code ignored;
    if (connections_.load() >= options_.max_connections) {
      spdlog::warn("connection limit ({}) reached: closing a new connection", options_.max_connections);
      socket.close(ignored);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ignored);
    socket.native_non_blocking(true, ignored);  // once, for sendfile (see BeastExchange::send_file)
    auto executor = socket.get_executor();
    ++connections_;
    asio::co_spawn(executor, serve(std::move(socket)), [this](std::exception_ptr) { --connections_; });
  }
}

asio::awaitable<void> Server::serve(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  buffer.reserve(kHeadBuffer);  // reads are as large as the free space: fetch a whole head at once
  bool graceful = true;
  try {
    while (true) {
      Parser parser;
      parser.header_limit(options_.max_header_bytes);
      parser.body_limit(boost::none);  // handlers enforce their own body limits
      stream.expires_after(options_.idle_timeout);
      auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, asio::as_tuple(use_awaitable));
      // Beast checks its header limit only against what one read brought in: count the head here.
      if (!ec && (n > options_.max_header_bytes ||
                  std::distance(parser.get().begin(), parser.get().end()) > options_.max_header_count))
        ec = bhttp::error::header_limit;
      // RFC 9112 §6.3: a request whose transfer coding does not end in chunked has no knowable length.
      if (!ec && parser.get().count(bhttp::field::transfer_encoding) > 0 && !parser.chunked())
        ec = bhttp::error::bad_transfer_encoding;
      if (ec) {
        if (is_disconnect(ec)) break;
        std::string raw = malformed_response(handler_, ec);
        stream.expires_after(options_.io_timeout);
        co_await asio::async_write(stream, asio::buffer(raw), asio::as_tuple(use_awaitable));
        break;
      }
      BeastExchange exchange(stream, buffer, parser, options_.io_timeout);
      bool failed = false, unavailable = false;
      try {
        co_await handler_.handle(exchange);
      } catch (const Unavailable& e) {
        spdlog::warn("{} {}: {}", exchange.method(), exchange.target(), e.what());
        if (exchange.responded()) throw;
        failed = unavailable = true;
      } catch (const std::exception& e) {
        spdlog::error("{} {}: {}", exchange.method(), exchange.target(), e.what());
        if (exchange.responded()) throw;  // failed mid-response: the connection is unusable
        failed = true;
      }
      if (failed) {
        exchange.close_after();
        // A backend that is down is the client's cue to retry later, not an internal error.
        Response response =
            unavailable ? handler_.error_response(503, "ServiceUnavailable", "Please reduce your request rate.")
                        : handler_.error_response(500, "InternalError", "We encountered an internal error. Please try again.");
        if (unavailable) response.headers.emplace_back("Retry-After", "1");
        co_await exchange.respond(response);
      }
      if (!exchange.keep_alive()) break;
    }
  } catch (const std::exception& e) {
    spdlog::debug("connection ended: {}", e.what());
    graceful = false;
  }
  if (graceful) co_await linger_close(stream);
}

}  // namespace herd::http

#pragma once
// Exchange over a Beast TCP stream and a buffer_body request parser (used by server.cc only).
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <optional>

#include "http/exchange.h"

namespace herd::http {

namespace beast = boost::beast;
using Parser = beast::http::request_parser<beast::http::buffer_body>;

class BeastExchange : public Exchange {
 public:
  BeastExchange(beast::tcp_stream& stream, beast::flat_buffer& buffer, Parser& parser,
                std::chrono::seconds io_timeout);

  std::string_view method() const override { return method_; }
  std::string_view target() const override { return target_; }
  std::string_view path() const override { return path_; }
  std::string_view query() const override { return query_; }
  std::optional<std::string_view> header(std::string_view name) const override;
  Headers headers() const override;
  std::optional<uint64_t> content_length() const override;
  asio::awaitable<size_t> read_body(char* buf, size_t len) override;
  asio::awaitable<void> respond(const Response& response) override;
  asio::awaitable<void> respond_blob(const Response& head, BlobReader& blob, int64_t offset, int64_t length) override;
  bool responded() const override { return responded_; }

  // Whether the connection can carry another request after this one.
  bool keep_alive() const { return keep_alive_; }
  // Forces the connection to close after the response (e.g. after a failure).
  void close_after() { keep_alive_ = false; }

 private:
  asio::awaitable<void> continue_if_expected();
  // read_body() for a Content-Length body, which bypasses the parser.
  asio::awaitable<size_t> read_raw_body(char* buf, size_t len);
  // Whether the whole request body has been read.
  bool body_done() const;
  // Sends `length` bytes of `fd` from `offset` with sendfile(2) (zero-copy), waiting for the
  // socket to drain when needed; fails after io_timeout_ without progress.
  asio::awaitable<void> send_file(int fd, int64_t offset, int64_t length);
  // Writes a response head; with `more`, tells the kernel the body follows at once (MSG_MORE).
  asio::awaitable<void> send_head(const beast::http::response<beast::http::empty_body>& res, bool more);
  beast::http::response<beast::http::empty_body> prepare(unsigned status, const Headers& headers,
                                                         uint64_t content_length);

  beast::tcp_stream& stream_;
  beast::flat_buffer& buffer_;
  Parser& parser_;
  std::chrono::seconds io_timeout_;
  std::string method_;
  std::string target_;
  std::string path_;
  std::string query_;
  bool responded_ = false;
  bool keep_alive_ = true;
  bool continue_sent_ = false;
  std::optional<uint64_t> raw_body_left_;  // set for Content-Length bodies: bytes not yet read
  static constexpr size_t kChunkedReadBuffer = 64 * 1024;
};

}  // namespace herd::http

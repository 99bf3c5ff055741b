#pragma once
// A minimal blocking S3 client for `herd bench`: one keep-alive HTTP/1.1 connection, path-style
// requests signed with SigV4. Not thread-safe: one client per worker thread.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <memory>
#include <string>

#include "s3client/request_signer.h"

namespace herd::bench {

using s3client::Credentials;
using s3client::sign_request;

struct Endpoint {
  std::string host;  // as in the Host header, e.g. "127.0.0.1:9000"
  std::string address;
  std::string port;
};

// Parses "http://HOST:PORT" (https is not supported by the benchmark client).
Endpoint parse_endpoint(const std::string& url);

// A request body in two pieces sent back to back (a per-request stamp, then shared bytes), so
// large bodies are never copied.
struct Body {
  std::string_view head;
  std::string_view tail;
  size_t size() const { return head.size() + tail.size(); }
};

struct Reply {
  unsigned status = 0;
  size_t body_bytes = 0;
  std::string body;  // kept only for small (XML) replies
};

class S3Client {
 public:
  S3Client(Endpoint endpoint, Credentials credentials);
  ~S3Client();
  // Sends one request with `body` (may be empty) and reads the whole reply. Reconnects once if
  // the kept-alive connection was closed. Throws on network errors.
  Reply request(const std::string& method, const std::string& path, const sigv4::Pairs& query, Body body,
                bool keep_body);

 private:
  void connect();
  Reply exchange(const std::string& method, const std::string& path, const sigv4::Pairs& query, Body body,
                 bool keep_body);

  Endpoint endpoint_;
  Credentials credentials_;
  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::ip::tcp::socket> socket_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace herd::bench

// libFuzzer target: an HTTP/1.1 request head and body, parsed the way src/http/server.cc and
// src/http/beast_exchange.cc do it: a request_parser<buffer_body> with a 16 KiB header limit and
// no body limit, the 100-header cap, the target split into path and query, then the S3 router's
// first steps (percent-decoding, SigV4 query parsing, key length and UTF-8 checks), and the body
// read through a fixed buffer as BeastExchange::read_body does.
//
// Input layout: byte 0 chooses the read size of the fake socket (1..256 bytes per read_some, so
// the parser sees the message split at many different points); the rest is the raw request.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "s3/names.h"
#include "s3/sigv4.h"
#include "util/uri.h"

namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
using Parser = bhttp::request_parser<bhttp::buffer_body>;  // as in src/http/beast_exchange.h

constexpr uint32_t kMaxHeaderBytes = 16 * 1024;  // ServerOptions::max_header_bytes
constexpr long kMaxHeaderCount = 100;            // ServerOptions::max_header_count

// A SyncReadStream over the fuzz input that hands out at most `step` bytes per read.
class FakeSocket {
 public:
  FakeSocket(const uint8_t* data, size_t size, size_t step) : data_(data), size_(size), step_(step) {}

  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers, beast::error_code& ec) {
    ec = {};
    if (pos_ == size_) {
      ec = boost::asio::error::eof;
      return 0;
    }
    size_t want = std::min(step_, size_ - pos_);
    size_t n = boost::asio::buffer_copy(buffers, boost::asio::buffer(data_ + pos_, want));
    pos_ += n;
    return n;
  }
  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers) {
    beast::error_code ec;
    size_t n = read_some(buffers, ec);
    if (ec) throw beast::system_error(ec);
    return n;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t step_;
  size_t pos_ = 0;
};

void router_checks(std::string_view target) {
  // BeastExchange: path = target up to '?', query = the rest.
  auto q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  // Router::dispatch
  auto pairs = herd::sigv4::parse_query(query);
  auto decoded = herd::uri_decode(path);
  if (!pairs || !decoded || decoded->empty() || decoded->front() != '/') return;
  std::string_view rest = std::string_view(*decoded).substr(1);
  auto slash = rest.find('/');
  std::string bucket(rest.substr(0, slash));
  std::string key = slash == std::string_view::npos ? std::string() : std::string(rest.substr(slash + 1));
  if (key.size() > herd::s3::kMaxKeyBytes) return;
  if (!herd::s3::valid_utf8(key) || !herd::s3::valid_utf8(bucket)) return;
  (void)herd::s3::valid_bucket_name(bucket);
  // The canonical query of what was parsed must be computable for any input.
  (void)herd::sigv4::canonical_query(*pairs);
  (void)herd::uri_encode(*decoded, true);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t step = 1 + data[0];
  FakeSocket socket(data + 1, size - 1, step);
  beast::flat_buffer buffer;
  // Keep-alive: several requests may follow each other on one connection.
  for (int request = 0; request < 8; ++request) {
    Parser parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(boost::none);
    beast::error_code ec;
    bhttp::read_header(socket, buffer, parser, ec);
    if (!ec && std::distance(parser.get().begin(), parser.get().end()) > kMaxHeaderCount) ec = bhttp::error::header_limit;
    if (ec) return 0;  // server.cc answers 400/431 and closes

    const auto& req = parser.get();
    std::string method(req.method_string());
    std::string target(req.target());
    router_checks(target);
    for (const auto& field : req) {
      (void)field.name_string();
      (void)field.value();
    }
    // BeastExchange::content_length
    if (!parser.chunked()) (void)parser.content_length();

    // BeastExchange::read_body with a small fixed buffer.
    char body_buf[1024];
    uint64_t body_bytes = 0;
    bool body_failed = false;
    for (int reads = 0; reads < 4096 && !parser.is_done(); ++reads) {
      auto& body = parser.get().body();
      body.data = body_buf;
      body.size = sizeof body_buf;
      bhttp::read_some(socket, buffer, parser, ec);
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec) {
        body_failed = true;
        break;
      }
      size_t got = sizeof body_buf - parser.get().body().size;
      body_bytes += got;
      if (auto len = parser.content_length(); len && !parser.chunked() && body_bytes > *len) {
        std::fprintf(stderr, "body over-read: %llu > Content-Length %llu\n", (unsigned long long)body_bytes,
                     (unsigned long long)*len);
        std::abort();
      }
    }
    if (body_failed || !parser.is_done() || !req.keep_alive()) return 0;
  }
  return 0;
}

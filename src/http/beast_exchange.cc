#include "http/beast_exchange.h"
#include "util/clock.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <sys/sendfile.h>
#include <sys/socket.h>

#include <cerrno>
#include <memory>

namespace herd::http {

namespace bhttp = beast::http;
using asio::use_awaitable;

namespace {

// The Date header value, formatted once per second per thread.
const std::string& current_http_date() {
  thread_local int64_t second = -1;
  thread_local std::string value;
  int64_t now = now_ms() / 1000;
  if (now != second) {
    second = now;
    value = format_http_date(now);
  }
  return value;
}

}  // namespace

BeastExchange::BeastExchange(beast::tcp_stream& stream, beast::flat_buffer& buffer, Parser& parser,
                   std::chrono::seconds io_timeout)
    : stream_(stream), buffer_(buffer), parser_(parser), io_timeout_(io_timeout) {
  const auto& req = parser_.get();
  method_ = std::string(req.method_string());
  target_ = std::string(req.target());
  auto q = target_.find('?');
  path_ = target_.substr(0, q);
  if (q != std::string::npos) query_ = target_.substr(q + 1);
  keep_alive_ = req.keep_alive();
  // A body with a Content-Length bypasses the parser: it is read straight into the caller's
  // buffer (no copy through the connection buffer, reads as large as the caller's buffer).
  if (!parser_.chunked()) raw_body_left_ = parser_.is_done() ? 0 : parser_.content_length().value_or(0);
}

std::optional<std::string_view> BeastExchange::header(std::string_view name) const {
  const auto& req = parser_.get();
  auto it = req.find(beast::string_view(name.data(), name.size()));
  if (it == req.end()) return std::nullopt;
  auto v = it->value();
  return std::string_view(v.data(), v.size());
}

Headers BeastExchange::headers() const {
  Headers out;
  for (const auto& f : parser_.get()) out.emplace_back(std::string(f.name_string()), std::string(f.value()));
  return out;
}

std::optional<uint64_t> BeastExchange::content_length() const {
  if (parser_.chunked()) return std::nullopt;
  auto len = parser_.content_length();
  return len ? std::optional<uint64_t>(*len) : std::optional<uint64_t>(0);
}

asio::awaitable<void> BeastExchange::continue_if_expected() {
  // Sent even for an empty body: clients that asked (botocore) wait for it before anything else.
  if (continue_sent_) co_return;
  auto expect = header("Expect");
  if (!expect || !beast::iequals(*expect, "100-continue")) co_return;
  continue_sent_ = true;
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  stream_.expires_after(io_timeout_);
  co_await asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()), use_awaitable);
}

asio::awaitable<size_t> BeastExchange::read_body(char* buf, size_t len) {
  if (len == 0) co_return 0;
  co_await continue_if_expected();
  if (raw_body_left_) co_return co_await read_raw_body(buf, len);
  // Chunked framing goes through the parser; a roomy buffer keeps its reads large.
  if (buffer_.capacity() < kChunkedReadBuffer) buffer_.reserve(kChunkedReadBuffer);
  // A read can consume framing only (a chunk header of a chunked body) and yield no bytes:
  // keep reading until bytes arrive or the message is complete.
  while (!parser_.is_done()) {
    auto& body = parser_.get().body();
    body.data = buf;
    body.size = len;
    stream_.expires_after(io_timeout_);
    auto [ec, n] = co_await bhttp::async_read_some(stream_, buffer_, parser_, asio::as_tuple(use_awaitable));
    (void)n;
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) {
      keep_alive_ = false;
      if (ec == bhttp::error::partial_message || ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
          ec == asio::error::connection_reset)
        throw IncompleteBody();
      if (ec.category() == bhttp::make_error_code(bhttp::error::bad_chunk).category()) throw MalformedBody();
      throw beast::system_error(ec);
    }
    if (size_t got = len - body.size) co_return got;
  }
  co_return 0;
}

asio::awaitable<size_t> BeastExchange::read_raw_body(char* buf, size_t len) {
  uint64_t& left = *raw_body_left_;
  size_t want = static_cast<size_t>(std::min<uint64_t>(len, left));
  if (want == 0) co_return 0;
  // Bytes that arrived with the head come first; what follows the body stays for the next request.
  if (size_t buffered = std::min(want, buffer_.size())) {
    asio::buffer_copy(asio::buffer(buf, buffered), buffer_.data());
    buffer_.consume(buffered);
    left -= buffered;
    co_return buffered;
  }
  stream_.expires_after(io_timeout_);
  auto [ec, n] = co_await stream_.async_read_some(asio::buffer(buf, want), asio::as_tuple(use_awaitable));
  if (ec) {
    keep_alive_ = false;
    if (ec == asio::error::eof || ec == asio::error::connection_reset) throw IncompleteBody();
    throw beast::system_error(ec);
  }
  left -= n;
  co_return n;
}

bool BeastExchange::body_done() const { return raw_body_left_ ? *raw_body_left_ == 0 : parser_.is_done(); }

bhttp::response<bhttp::empty_body> BeastExchange::prepare(unsigned status, const Headers& headers,
                                                     uint64_t content_length) {
  bhttp::response<bhttp::empty_body> res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::server, "Herd");
  res.set(bhttp::field::date, current_http_date());
  for (const auto& [k, v] : headers) res.insert(k, v);
  // A body left unread cannot be skipped safely on a reused connection.
  if (!body_done()) keep_alive_ = false;
  res.keep_alive(keep_alive_);
  // 204 and 304 have no body, and a 304's length would describe the unsent representation.
  if (status != 204 && status != 304) res.content_length(content_length);
  return res;
}

asio::awaitable<void> BeastExchange::respond(const Response& r) {
  responded_ = true;
  auto res = prepare(r.status, r.headers, r.body.size());
  stream_.expires_after(io_timeout_);
  if (method_ == "HEAD" || r.body.empty()) {
    bhttp::response_serializer<bhttp::empty_body> sr{res};
    co_await bhttp::async_write_header(stream_, sr, use_awaitable);
    co_return;
  }
  // Head and body in one gathered write: one segment for small replies, and a crash can never
  // leave a head without its body.
  bhttp::response<bhttp::string_body> full{std::move(res.base()), r.body};
  bhttp::response_serializer<bhttp::string_body> sr{full};
  co_await bhttp::async_write(stream_, sr, use_awaitable);
}

asio::awaitable<void> BeastExchange::respond_blob(const Response& r, BlobReader& blob, int64_t offset,
                                                  int64_t length) {
  responded_ = true;
  bool head = method_ == "HEAD";
  auto res = prepare(r.status, r.headers, static_cast<uint64_t>(length));
  // With MSG_MORE the head waits in the kernel for the first body bytes, so both leave in one
  // segment (what TCP_CORK does, without two setsockopt calls per response).
  const bool body_follows = !head && length > 0;
  co_await send_head(res, body_follows && blob.fd() >= 0);
  if (!body_follows) co_return;
  if (blob.fd() >= 0) {
    co_await send_file(blob.fd(), blob.fd_offset() + offset, length);
    co_return;
  }
  constexpr size_t kChunk = 256 * 1024;
  auto buf = std::make_unique<char[]>(kChunk);
  int64_t remaining = length;
  while (remaining > 0) {
    size_t want = static_cast<size_t>(std::min<int64_t>(remaining, kChunk));
    size_t got = blob.read(offset, buf.get(), want);
    if (got == 0) {  // the file is shorter than its record: never send a short body silently
      keep_alive_ = false;
      throw std::runtime_error("blob shorter than expected");
    }
    stream_.expires_after(io_timeout_);
    co_await asio::async_write(stream_, asio::buffer(buf.get(), got), use_awaitable);
    offset += static_cast<int64_t>(got);
    remaining -= static_cast<int64_t>(got);
  }
}

asio::awaitable<void> BeastExchange::send_head(const bhttp::response<bhttp::empty_body>& res, bool more) {
  std::string bytes;
  bytes.reserve(512);
  bytes.append("HTTP/1.1 ").append(std::to_string(res.result_int())).append(" ");
  bytes.append(res.reason().data(), res.reason().size()).append("\r\n");
  for (const auto& f : res)
    bytes.append(f.name_string().data(), f.name_string().size())
        .append(": ")
        .append(f.value().data(), f.value().size())
        .append("\r\n");
  bytes.append("\r\n");
  // The socket is non-blocking: try the whole head at once, and wait only for what did not fit.
  ssize_t n = ::send(stream_.socket().native_handle(), bytes.data(), bytes.size(), MSG_NOSIGNAL | (more ? MSG_MORE : 0));
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    keep_alive_ = false;
    throw beast::system_error(beast::error_code(errno, boost::system::system_category()));
  }
  size_t sent = n > 0 ? static_cast<size_t>(n) : 0;
  if (sent == bytes.size()) co_return;
  stream_.expires_after(io_timeout_);
  co_await asio::async_write(stream_, asio::buffer(bytes.data() + sent, bytes.size() - sent), use_awaitable);
}

asio::awaitable<void> BeastExchange::send_file(int fd, int64_t offset, int64_t length) {
  auto& socket = stream_.socket();  // non-blocking since accept
  asio::steady_timer timer(socket.get_executor());
  off_t off = static_cast<off_t>(offset);
  int64_t remaining = length;
  while (remaining > 0) {
    ssize_t n = ::sendfile(socket.native_handle(), fd, &off, static_cast<size_t>(std::min<int64_t>(remaining, 1 << 30)));
    if (n > 0) {
      remaining -= n;
      continue;
    }
    if (n == 0) {  // the file is shorter than its record: never send a short body silently
      keep_alive_ = false;
      throw std::runtime_error("blob shorter than expected");
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) {
      keep_alive_ = false;
      throw beast::system_error(beast::error_code(errno, boost::system::system_category()));
    }
    // The socket buffer is full: wait until writable, giving up after io_timeout_ without progress.
    timer.expires_after(io_timeout_);
    timer.async_wait([&socket](const beast::error_code& ec) {
      if (!ec) socket.cancel();
    });
    auto [ec] = co_await socket.async_wait(asio::ip::tcp::socket::wait_write, asio::as_tuple(use_awaitable));
    timer.cancel();
    if (ec) {
      keep_alive_ = false;
      throw beast::system_error(ec);
    }
  }
}

}  // namespace herd::http

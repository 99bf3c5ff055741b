#include "bench/s3_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <stdexcept>

#include "util/clock.h"
#include "util/uri.h"

namespace herd::bench {

namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

Endpoint parse_endpoint(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) throw std::runtime_error("endpoint must be http://HOST:PORT: " + url);
  std::string hostport = url.substr(kScheme.size());
  while (!hostport.empty() && hostport.back() == '/') hostport.pop_back();
  auto colon = hostport.rfind(':');
  if (colon == std::string::npos) return {hostport, hostport, "80"};
  return {hostport, hostport.substr(0, colon), hostport.substr(colon + 1)};
}

S3Client::S3Client(Endpoint endpoint, Credentials credentials)
    : endpoint_(std::move(endpoint)), credentials_(std::move(credentials)) {}

S3Client::~S3Client() = default;

void S3Client::connect() {
  tcp::resolver resolver(io_);
  socket_ = std::make_unique<tcp::socket>(io_);
  boost::asio::connect(*socket_, resolver.resolve(endpoint_.address, endpoint_.port));
  socket_->set_option(tcp::no_delay(true));
  buffer_.clear();
}

Reply S3Client::request(const std::string& method, const std::string& path, const sigv4::Pairs& query, Body body,
                        bool keep_body) {
  const bool fresh = !socket_;
  if (fresh) connect();
  try {
    return exchange(method, path, query, body, keep_body);
  } catch (const boost::system::system_error&) {
    socket_.reset();
    if (fresh) throw;
    connect();  // the server closed an idle kept-alive connection: retry once
    return exchange(method, path, query, body, keep_body);
  }
}

Reply S3Client::exchange(const std::string& method, const std::string& path, const sigv4::Pairs& query, Body body,
                         bool keep_body) {
  std::string target = uri_encode(path, true);
  std::string qs = sigv4::canonical_query(query);
  if (!qs.empty()) target += "?" + qs;
  auto sig = sign_request(method, endpoint_.host, path, query, {}, "UNSIGNED-PAYLOAD", credentials_,
                          format_amz_date(now_ms() / 1000));
  http::request<http::empty_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, endpoint_.host);
  req.set(http::field::authorization, sig.authorization);
  req.set("x-amz-date", sig.amz_date);
  req.set("x-amz-content-sha256", sig.content_sha256);
  req.keep_alive(true);
  if (body.size() > 0 || method == "PUT" || method == "POST") req.content_length(body.size());
  http::request_serializer<http::empty_body> head{req};
  http::write_header(*socket_, head);
  std::array<boost::asio::const_buffer, 2> pieces{boost::asio::buffer(body.head.data(), body.head.size()),
                                                  boost::asio::buffer(body.tail.data(), body.tail.size())};
  boost::asio::write(*socket_, pieces);
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);
  parser.skip(method == "HEAD");
  http::read(*socket_, buffer_, parser);
  auto& res = parser.get();
  Reply reply{res.result_int(), res.body().size(), keep_body ? std::move(res.body()) : std::string()};
  if (!res.keep_alive()) socket_.reset();
  return reply;
}

}  // namespace herd::bench

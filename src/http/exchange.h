#pragma once
// One HTTP request/response exchange as protocol handlers see it: the request head, a
// streaming body reader, and response writers. Handlers must respond exactly once.
// The server implements it over Beast (beast_exchange.h); handlers never see Beast types.
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "blob/blob_store.h"

namespace herd::http {

namespace asio = boost::asio;
using Headers = std::vector<std::pair<std::string, std::string>>;

// A response without a file body.
struct Response {
  unsigned status = 200;
  Headers headers;
  std::string body;
};

// Raised by read_body when the client ends the connection before the declared body length.
struct IncompleteBody : std::runtime_error {
  IncompleteBody() : std::runtime_error("incomplete body") {}
};

// Raised by read_body when a chunked body's framing is invalid (the connection is not reused).
struct MalformedBody : std::runtime_error {
  MalformedBody() : std::runtime_error("malformed chunked body") {}
};

// Callers pass named Response objects: GCC 12 destroys non-trivial temporaries inside a
// co_await expression twice, so never write co_await ex.respond({...}).
class Exchange {
 public:
  virtual ~Exchange() = default;

  // --- request
  virtual std::string_view method() const = 0;
  virtual std::string_view target() const = 0;
  // Raw (still percent-encoded) path, before '?'.
  virtual std::string_view path() const = 0;
  // Raw query after '?', without it.
  virtual std::string_view query() const = 0;
  // The first value of a header (case-insensitive name), if present.
  virtual std::optional<std::string_view> header(std::string_view name) const = 0;
  // All request headers, in order, as sent.
  virtual Headers headers() const = 0;
  // Declared body length; nullopt for chunked transfer encoding.
  virtual std::optional<uint64_t> content_length() const = 0;

  // --- body
  // Reads up to `len` body bytes; returns 0 once the body is complete. Sends "100 Continue"
  // first when the client asked for it. Throws IncompleteBody when the peer stops early,
  // MalformedBody when chunked framing is invalid.
  virtual asio::awaitable<size_t> read_body(char* buf, size_t len) = 0;

  // --- response
  virtual asio::awaitable<void> respond(const Response& response) = 0;
  // Sends headers, then `length` bytes of `blob` from `offset`. HEAD requests get headers only.
  virtual asio::awaitable<void> respond_blob(const Response& head, BlobReader& blob, int64_t offset, int64_t length) = 0;
  virtual bool responded() const = 0;
};

}  // namespace herd::http

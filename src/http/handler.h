#pragma once
// What a protocol layer (S3, public web, …) implements to serve HTTP requests.
#include <boost/asio/awaitable.hpp>

#include <string_view>

#include "http/exchange.h"

namespace herd::http {

class Handler {
 public:
  virtual ~Handler() = default;
  // Handles one request. Must respond, or throw (the server then answers 500 and closes).
  virtual asio::awaitable<void> handle(Exchange& exchange) = 0;
  // The response for a request that failed before a handler could run, or that threw.
  virtual Response error_response(unsigned status, std::string_view code, std::string_view message) = 0;
};

}  // namespace herd::http

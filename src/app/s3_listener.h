#pragma once
// What the S3 listener serves: the federation API under /_herd/ (federation/api.h), and S3 for
// everything else (s3/router.h). Thread-safe as both are.
#include "federation/api.h"
#include "http/handler.h"
#include "s3/router.h"

namespace herd {

class S3Listener : public http::Handler {
 public:
  S3Listener(s3::Router& s3, federation::Api& federation) : s3_(s3), federation_(federation) {}

  boost::asio::awaitable<void> handle(http::Exchange& exchange) override {
    if (federation::Api::handles(exchange.path())) return federation_.handle(exchange);
    return s3_.handle(exchange);
  }
  http::Response error_response(unsigned status, std::string_view code, std::string_view message) override {
    return s3_.error_response(status, code, message);
  }

 private:
  s3::Router& s3_;
  federation::Api& federation_;
};

}  // namespace herd

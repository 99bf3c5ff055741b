#pragma once
// The public endpoint: anonymous GET/HEAD of public objects by alias host (with optional path
// prefix) or /<bucket>/<key>, and content-addressed /blobs/<sha256> URLs. Nothing else.
#include "http/blocking_pool.h"
#include "http/handler.h"
#include "pool/pool.h"
#include "web/public_options.h"

namespace herd::web {

class PublicRouter : public http::Handler {
 public:
  PublicRouter(Pool& pool, http::BlockingPool& blocking, PublicOptions options)
      : pool_(pool), blocking_(blocking), options_(std::move(options)) {}
  boost::asio::awaitable<void> handle(http::Exchange& exchange) override;
  http::Response error_response(unsigned status, std::string_view code, std::string_view message) override;

 private:
  boost::asio::awaitable<void> route(http::Exchange& exchange);

  Pool& pool_;
  http::BlockingPool& blocking_;
  PublicOptions options_;
};

}  // namespace herd::web

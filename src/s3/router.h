#pragma once
// The S3 endpoint: parses path-style addressing, authenticates, picks the operation, and
// renders any failure as an S3 XML error.
#include "http/handler.h"
#include "pool/pool.h"
#include "s3/body.h"
#include "s3/context.h"

namespace herd::s3 {

class Router : public http::Handler {
 public:
  Router(Pool& pool, http::BlockingPool& blocking, S3Options options)
      : pool_(pool),
        blocking_(blocking),
        options_(std::move(options)),
        upload_slots_(options_.max_concurrent_uploads, kBodyBufferBytes) {}
  boost::asio::awaitable<void> handle(http::Exchange& exchange) override;
  http::Response error_response(unsigned status, std::string_view code, std::string_view message) override;

 private:
  boost::asio::awaitable<void> dispatch(Context& ctx);
  // The bucket named by a Host header of the form BUCKET.<base domain>, if any.
  std::optional<std::string> virtual_host_bucket(const http::Exchange& ex) const;

  Pool& pool_;
  http::BlockingPool& blocking_;
  S3Options options_;
  UploadSlots upload_slots_;
};

}  // namespace herd::s3

#pragma once
// The federation API on the S3 listener, under /_herd/v1/ (no bucket can be named "_herd"):
// requests are signed with a tenant's own keys by SigV4 (any AWS SDK, or curl --aws-sigv4), and
// speak JSON both ways; failures are {"error": CODE, "message": TEXT} with an HTTP status.
//   POST /_herd/v1/retrieve  {"url", "bucket", "key", "acl"?, "content_type"?}  (Retriever)
//   POST /_herd/v1/has       {"sha256": [hex, …]} → {"usable": [hex, …]}: the blobs the caller may
//                            use without sending their bytes (Pool::blob_usable_by)
// Documented in docs/FEDERATION.md. Thread-safe: one instance serves every I/O thread; network
// fetches and metadata work run on the blocking pool.
#include <boost/asio/awaitable.hpp>

#include <string_view>

#include "federation/retriever.h"
#include "http/blocking_pool.h"
#include "http/exchange.h"
#include "pool/pool.h"
#include "s3/auth.h"

namespace herd::federation {

class Api {
 public:
  Api(Pool& pool, http::BlockingPool& blocking, Retriever& retriever, s3::AuthOptions auth)
      : pool_(pool), blocking_(blocking), retriever_(retriever), auth_(std::move(auth)) {}

  // Whether a request for raw path `path` is the API's.
  // ("/_herd" alone is S3's: CreateBucket answers InvalidBucketName.)
  static bool handles(std::string_view path) { return path.starts_with("/_herd/"); }
  // Answers one request (always responds).
  boost::asio::awaitable<void> handle(http::Exchange& ex);

 private:
  Pool& pool_;
  http::BlockingPool& blocking_;
  Retriever& retriever_;
  const s3::AuthOptions auth_;
};

}  // namespace herd::federation

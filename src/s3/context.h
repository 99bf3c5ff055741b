#pragma once
// Everything an S3 operation handler needs about one request.
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "http/blocking_pool.h"
#include "http/exchange.h"
#include "meta/types.h"
#include "pool/pool.h"
#include "s3/auth.h"
#include "s3/sigv4.h"
#include "s3/upload_slots.h"
#include "web/public_options.h"

namespace herd::s3 {

// Pool-level S3 settings.
struct S3Options {
  int64_t max_object_size = 5LL << 30;  // 5 GiB, S3's single-PUT limit
  size_t max_concurrent_uploads = 64;   // bodies received at once (each holds a 512 KiB buffer)
  std::string region = "us-east-1";    // what GetBucketLocation reports; requests may sign with any
  // Host names under which BUCKET.<domain> addresses a bucket (virtual-host style).
  std::vector<std::string> base_domains;
  AuthOptions auth;
  web::PublicOptions public_reads;  // how unsigned GET/HEAD of public objects answer
  bool operator==(const S3Options&) const = default;
};

struct Context {
  http::Exchange& ex;
  Pool& pool;
  http::BlockingPool& blocking;  // pool writes (they fsync) run here, off the I/O thread
  UploadSlots& upload_slots;     // a body is received only while holding one
  const S3Options& options;
  std::string request_id;
  sigv4::Pairs query;
  std::string bucket;  // decoded; empty for the service root
  std::string key;     // decoded; empty for bucket-level requests
  AuthResult auth;

  // The value of a query parameter, if present.
  std::optional<std::string> query_value(std::string_view name) const;
  bool has_query(std::string_view name) const { return query_value(name).has_value(); }
  // The signed-in tenant; throws AccessDenied for anonymous requests.
  const Tenant& tenant() const;
  // The named bucket; throws NoSuchBucket, for anonymous requests too (bucket names are global
  // and discoverable anyway).
  Bucket existing_bucket() const;
  // Whether the signed-in tenant owns `bucket` (false for anonymous requests).
  bool owns(const Bucket& bucket) const { return auth.tenant && auth.tenant->id == bucket.tenant_id; }
  // The named bucket, owned by the signed-in tenant; throws NoSuchBucket or AccessDenied.
  Bucket owned_bucket() const;
  // Reads a small request body whole (at most `limit` bytes), verifying the signed payload hash,
  // Content-MD5 and, unless `checksum_is_of_body` is false (CompleteMultipartUpload, whose
  // x-amz-checksum-* describes the whole object), an x-amz-checksum-* header.
  boost::asio::awaitable<std::string> read_small_body(size_t limit, bool checksum_is_of_body = true);
};

}  // namespace herd::s3

#pragma once
// Anonymous reads: an object whose own ACL is public-read (a bucket's ACL never makes objects
// readable), and content-addressed blob URLs (/blobs/<sha256>[.ext], and FEP-ef61 hashlinks) for
// blobs that at least one public object references. Every answer carries the RFC 9530
// Repr-Digest of the whole representation (the blob's SHA-256).
// Shared by the S3 endpoint (unsigned GET/HEAD) and the public endpoint. Blob opens that may wait
// on a remote store run on `blocking`.
#include <boost/asio/awaitable.hpp>

#include <string>

#include "http/blocking_pool.h"
#include "http/exchange.h"
#include "pool/pool.h"
#include "web/public_options.h"

namespace herd::web {

// Serves bucket/key if it is public. Answers 404 NoSuchBucket for a bucket that does not exist,
// 403 AccessDenied for private objects and for missing keys in buckets not listable by anyone
// (indistinguishable), 404 NoSuchKey for missing keys in a listable one (s3/access.h); or, in
// redirect mode, a redirect to the blob URL. Throws s3::Error.
boost::asio::awaitable<void> serve_public_object(http::Exchange& ex, Pool& pool, http::BlockingPool& blocking,
                                                 const PublicOptions& options, const std::string& bucket,
                                                 const std::string& key);

// Serves /blobs/<sha256 hex>[.ext]: immutable, cacheable forever, strong ETag. 404 unless some
// public object references the blob; 451 for a blob the operator took down. Throws s3::Error.
boost::asio::awaitable<void> serve_blob(http::Exchange& ex, Pool& pool, http::BlockingPool& blocking,
                                        const std::string& path_after_blobs);

// Serves the blob whose raw SHA-256 is `sha256` as serve_blob() does.
boost::asio::awaitable<void> serve_blob_by_hash(http::Exchange& ex, Pool& pool, http::BlockingPool& blocking,
                                                const std::string& sha256);

// Serves a FEP-ef61 hashlink ("hl:zQm…", the path after /.well-known/apgateway/) as serve_blob()
// does: only while a public object references the blob, so a hash alone never reveals private
// bytes. 400 InvalidArgument for a malformed hashlink, one with metadata, or another algorithm.
boost::asio::awaitable<void> serve_hashlink(http::Exchange& ex, Pool& pool, http::BlockingPool& blocking,
                                            const std::string& hashlink);

// The blob URL path of an object: /blobs/<sha256 hex> plus the key's extension when it is short
// and plain (e.g. ".jpg"), so CDNs and browsers see a familiar name.
std::string blob_path(const ObjectRecord& object);

}  // namespace herd::web

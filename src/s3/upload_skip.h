#pragma once
// PutObject without its body: a client that sends `Expect: 100-continue` and names the body's
// SHA-256 under its signature (x-amz-content-sha256, or a signed x-amz-checksum-sha256) for bytes
// that some public object, or one of its own objects, already references gets its final answer
// before sending them. Only such blobs qualify (Pool::blob_usable_by): a hash alone must
// never give a tenant bytes it could not read anyway.
#include <boost/asio/awaitable.hpp>

#include <optional>

#include "s3/context.h"

namespace herd::s3 {

// The pool's bytes a request's body would be, when the request qualifies (above; its declared
// length and Content-MD5 agree with them, and it asks for no checksum but SHA-256); nullopt
// otherwise, and nothing has been read or sent. Metadata reads run on ctx.blocking.
struct KnownBody {
  BlobRecord blob;
  bool wants_sha256_checksum = false;  // the client asked for a SHA256 checksum to be stored
};
boost::asio::awaitable<std::optional<KnownBody>> known_body(Context& ctx);

// An object committed without receiving its body.
struct SkippedUpload {
  ObjectRecord object;
  std::optional<std::string> checksum_sha256;  // base64, when the client asked for a SHA256 checksum
};

// PutObject: commits (bucket, ctx.key) with `meta` as a reference to the known_body() bytes;
// nullopt when the request does not qualify (or the bytes went meanwhile), and nothing has been
// read or sent: the caller receives the body as usual. The commit runs on ctx.blocking. Throws
// NoSuchBucketError when the bucket vanished meanwhile.
boost::asio::awaitable<std::optional<SkippedUpload>> skip_upload_if_known(Context& ctx, const Bucket& bucket,
                                                                          const ObjectMeta& meta);

}  // namespace herd::s3

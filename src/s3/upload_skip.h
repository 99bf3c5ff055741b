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

// An object committed without receiving its body.
struct SkippedUpload {
  ObjectRecord object;
  std::optional<std::string> checksum_sha256;  // base64, when the client asked for a SHA256 checksum
};

// Commits (bucket, ctx.key) with `meta` as a reference to the pool's bytes when the request
// qualifies (see above; its declared length, Content-MD5 and checksum agree with those bytes,
// and it asks for no other checksum); nullopt otherwise, and nothing has been read or sent: the
// caller receives the body as usual. Metadata reads and the commit run on ctx.blocking. Throws
// NoSuchBucketError when the bucket vanished meanwhile.
boost::asio::awaitable<std::optional<SkippedUpload>> skip_upload_if_known(Context& ctx, const Bucket& bucket,
                                                                          const ObjectMeta& meta);

}  // namespace herd::s3

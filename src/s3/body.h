#pragma once
// Receiving an object body (PutObject, UploadPart): plain or aws-chunked, verified against
// everything the client promised: the signed SHA-256, chunk signatures, the decoded length,
// Content-MD5 and a flexible checksum (x-amz-checksum-* header or trailer).
#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>

#include "pool/upload.h"
#include "s3/checksum.h"
#include "s3/context.h"

namespace herd::s3 {

// The receive buffer of one body (see UploadSlots).
constexpr size_t kBodyBufferBytes = 512 * 1024;  // two halves of 256 KiB

// A verified flexible checksum of the body.
struct BodyChecksum {
  ChecksumAlgorithm algorithm;
  std::string value;  // base64
};

// Streams the request body into `upload` (which is finished on return), holding an upload slot
// meanwhile. With `keep`, the slot stays held afterwards (moved into *keep), so that a body kept
// in memory counts against the slots until the caller has committed it. Returns the checksum
// the client asked for, if any, after verifying it. Throws s3::Error (IncompleteBody,
// XAmzContentSHA256Mismatch, SignatureDoesNotMatch, BadDigest, InvalidDigest, EntityTooLarge,
// MissingContentLength, InvalidRequest); nothing has been committed when it throws.
boost::asio::awaitable<std::optional<BodyChecksum>> receive_body(Context& ctx, Upload& upload,
                                                                 std::optional<UploadSlots::Slot>* keep = nullptr);

// The same promises checked on a small body held in memory (XML requests such as DeleteObjects):
// signed SHA-256, Content-MD5 and (when `check_flexible_checksum`) an x-amz-checksum-* header.
// Throws s3::Error.
void verify_small_body(const Context& ctx, const std::string& body, bool check_flexible_checksum);

}  // namespace herd::s3

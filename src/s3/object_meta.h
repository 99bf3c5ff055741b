#pragma once
// Reading per-object S3 metadata from request headers and writing it back as response headers.
#include <string>
#include <string_view>

#include "http/exchange.h"
#include "meta/types.h"

namespace herd::s3 {

constexpr size_t kMaxUserMetadataBytes = 2048;  // S3's limit on x-amz-meta-* names + values

// Content-Type, Cache-Control, Content-Disposition, Content-Encoding, Expires, x-amz-meta-* and
// the canned x-amz-acl from a PUT. Throws MetadataTooLarge or InvalidArgument (unknown canned ACL).
ObjectMeta object_meta_from_request(const http::Exchange& ex);

// The Content-Encoding an object keeps from a request's header: its codings without aws-chunked,
// which frames this request's body and is no property of the object ("gzip, aws-chunked" →
// "gzip"; "aws-chunked" alone → "").
std::string stored_content_encoding(std::string_view header);

// The stored metadata as GET/HEAD response headers (Content-Type defaults to binary/octet-stream).
void append_object_headers(const ObjectRecord& object, http::Headers& headers);

}  // namespace herd::s3

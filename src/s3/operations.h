#pragma once
// The S3 operations, one handler each; the router picks one per request. Each responds on
// ctx.ex or throws s3::Error.
#include <boost/asio/awaitable.hpp>

#include "s3/context.h"

namespace herd::s3 {

using Op = boost::asio::awaitable<void>;

// bucket.cc
Op list_buckets(Context& ctx);
Op create_bucket(Context& ctx);
Op head_bucket(Context& ctx);
Op delete_bucket(Context& ctx);
Op get_bucket_location(Context& ctx);
// list.cc
Op list_objects(Context& ctx);  // v1, or v2 with list-type=2
// put.cc
Op put_object(Context& ctx);
// get.cc
Op get_object(Context& ctx);  // GET and HEAD
// delete.cc
Op delete_object(Context& ctx);
Op delete_objects(Context& ctx);  // POST ?delete
// copy.cc
Op copy_object(Context& ctx);  // PUT with x-amz-copy-source
// The object named by x-amz-copy-source (also for UploadPartCopy): the signed-in tenant's own, or
// another tenant's whose ACL makes it public. Throws NoSuchBucket, NoSuchKey, AccessDenied, and
// PreconditionFailed when an x-amz-copy-source-if-* condition does not hold.
ObjectRecord copy_source_object(const Context& ctx);
// multipart.cc
Op create_multipart_upload(Context& ctx);    // POST ?uploads
Op upload_part(Context& ctx);                // PUT ?partNumber&uploadId
Op upload_part_copy(Context& ctx);           // … with x-amz-copy-source
Op complete_multipart_upload(Context& ctx);  // POST ?uploadId
Op abort_multipart_upload(Context& ctx);     // DELETE ?uploadId
Op list_parts(Context& ctx);                 // GET ?uploadId
Op list_multipart_uploads(Context& ctx);     // GET /bucket?uploads
// acl.cc
Op get_object_acl(Context& ctx);
Op put_object_acl(Context& ctx);
Op get_bucket_acl(Context& ctx);
Op put_bucket_acl(Context& ctx);

// Headers every S3 response carries (request id, and the XML content type when `xml`).
http::Headers s3_headers(const Context& ctx, bool xml);

}  // namespace herd::s3

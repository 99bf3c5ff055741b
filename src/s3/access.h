#pragma once
// Who may read what, as S3 decides it for requesters who do not own the bucket (anonymous
// clients and other tenants alike): an object is readable when its own ACL is public-read (or
// public-read-write), whatever the bucket's ACL; a bucket is listable when its ACL is
// public-read (or public-read-write) and the pool allows public listings. Writes and every other
// operation stay with the owner. Pure functions; thread-safe.
#include <optional>

#include "meta/types.h"
#include "web/public_options.h"

namespace herd::s3 {

// Whether someone other than the owner may list `bucket` (ListObjects, ListObjectsV2, HeadBucket).
bool listable_by_anyone(const Bucket& bucket, const web::PublicOptions& options);

// The object a requester who does not own `bucket` asked for, when it may read it. Throws
// AccessDenied for an object that is not public, and for a missing key unless the bucket is
// listable (then NoSuchKey, as S3 answers those who may list).
const ObjectRecord& readable_by_anyone(const Bucket& bucket, const std::optional<ObjectRecord>& object,
                                       const web::PublicOptions& options);

}  // namespace herd::s3

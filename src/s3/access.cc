#include "s3/access.h"

#include "s3/acl.h"
#include "s3/error.h"

namespace herd::s3 {

bool listable_by_anyone(const Bucket& bucket, const web::PublicOptions& options) {
  return options.allow_bucket_listing && acl_is_public_read(bucket.acl);
}

const ObjectRecord& readable_by_anyone(const Bucket& bucket, const std::optional<ObjectRecord>& object,
                                       const web::PublicOptions& options) {
  if (!object) throw listable_by_anyone(bucket, options) ? no_such_key() : access_denied();
  if (!acl_is_public_read(object->meta.acl)) throw access_denied();
  return *object;
}

}  // namespace herd::s3

#pragma once
// Metadata: buckets, whose names are global to the pool. Thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "meta/types.h"

namespace herd {

// Outcome of CreateBucket.
enum class CreateBucketResult { kCreated, kOwnedByYou, kTakenByOther };

class BucketRows {
 public:
  virtual ~BucketRows() = default;
  virtual CreateBucketResult create_bucket(int64_t tenant_id, const std::string& name) = 0;
  virtual std::optional<Bucket> bucket_by_name(const std::string& name) = 0;
  virtual std::vector<Bucket> list_buckets(int64_t tenant_id) = 0;
  // Deletes an empty bucket (and the records of uploads completed in it); false when it still
  // holds objects or multipart uploads.
  virtual bool delete_bucket(int64_t bucket_id) = 0;
  // Sets a bucket's canned ACL.
  virtual void set_bucket_acl(int64_t bucket_id, const std::string& acl) = 0;
};

}  // namespace herd

#pragma once
// Metadata: reading objects, and the one object change that touches no blob reference (its
// ACL). Writes that reference blobs go through WriteTxn, driven by the pool. Thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "meta/types.h"

namespace herd {

class ObjectRows {
 public:
  virtual ~ObjectRows() = default;
  // The object with its blob's current location.
  virtual std::optional<ObjectRecord> get_object(int64_t bucket_id, const std::string& key) = 0;
  // Some object referencing the blob that anyone may read (its own ACL is public-read or
  // public-read-write; a bucket's ACL never makes objects readable), if there is one.
  virtual std::optional<ObjectRecord> public_object_for_blob(const std::string& sha256) = 0;
  // True when tenant `tenant_id` may use the blob's bytes without sending them: a public object
  // references it (anyone can read those bytes), or one of the tenant's own objects does.
  virtual bool blob_usable_by(int64_t tenant_id, const std::string& sha256) = 0;
  // Up to `limit` objects in key order with key > `after` (or >= when `inclusive`) and key
  // starting with `prefix`.
  virtual std::vector<ObjectSummary> list_objects(int64_t bucket_id, const std::string& after, bool inclusive,
                                                  const std::string& prefix, size_t limit) = 0;
  // Sets an object's canned ACL; false when the object does not exist.
  virtual bool set_object_acl(int64_t bucket_id, const std::string& key, const std::string& acl) = 0;
};

}  // namespace herd

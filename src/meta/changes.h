#pragma once
// Changes other processes made to the rows a node caches (objects and their ACLs, buckets,
// tenants), as a metadata store shared by several nodes reports them, so every node's caches
// stay read-after-write consistent with the others'.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace herd {

struct MetaChange {
  enum class Kind {
    kObject,      // the object (bucket_id, key) was written, deleted, or its ACL changed
    kBucket,      // the bucket was deleted or its ACL changed
    kEverything,  // a tenant was deleted, or changes may have been missed (the notification
                  // channel dropped): forget all
  };
  Kind kind = Kind::kEverything;
  int64_t bucket_id = 0;
  std::string key;
};

// Called from the store's own thread, one change at a time; must not block for long.
using MetaChangeHandler = std::function<void(const MetaChange&)>;

// Watching stops (and the handler is never called again) once this is destroyed.
class ChangeWatch {
 public:
  virtual ~ChangeWatch() = default;
};

// The notification text of a change (what a store sends to the others: only [a-z0-9 *]), and
// back. Parsing text that is not one yields kEverything: never a missed invalidation.
std::string encode_change(const MetaChange& change);
MetaChange decode_change(const std::string& text);

}  // namespace herd

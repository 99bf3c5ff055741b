// Pool::take_down and Pool::lift_takedown: an operator removes a blob from every tenant at once,
// and the pool refuses those bytes afterwards (ObjectCommits::reserve checks the takedowns).
#include "pool/pool.h"
#include "util/clock.h"

namespace herd {

int64_t Pool::take_down(const std::string& sha256, const std::string& reason) {
  const int64_t now = now_ms();
  auto txn = meta_.write(true);
  txn->add_takedown(Takedown{sha256, reason, now});
  auto objects = txn->objects_of_blob(sha256);
  for (const auto& [bucket_id, key] : objects)
    if (auto released = txn->delete_object(bucket_id, key)) txn->release_reference(*released, now);
  txn->append_audit(AuditEntry{now, "takedown", sha256,
                               reason + " (" + std::to_string(objects.size()) + " object(s) deleted)"});
  txn->commit();
  for (const auto& [bucket_id, key] : objects) cache_.invalidate_object(bucket_id, key);
  return static_cast<int64_t>(objects.size());
}

bool Pool::lift_takedown(const std::string& sha256, const std::string& reason) {
  auto txn = meta_.write(true);
  if (!txn->remove_takedown(sha256)) return false;
  txn->append_audit(AuditEntry{now_ms(), "lift", sha256, reason});
  txn->commit();
  return true;
}

}  // namespace herd

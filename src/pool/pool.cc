#include "pool/pool.h"

#include "util/clock.h"
#include "util/hex.h"

namespace herd {

std::unique_ptr<Upload> Pool::begin_upload(int64_t max_size) {
  return std::make_unique<Upload>(blobs_.create_temp(), max_size);
}

ObjectRecord Pool::put(Upload& upload, int64_t bucket_id, const std::string& key, ObjectMeta meta) {
  ObjectRecord o;
  o.bucket_id = bucket_id;
  o.key = key;
  o.sha256 = upload.sha256();
  o.size = upload.size();
  o.etag = to_hex(upload.md5());
  o.modified_ms = now_ms();
  o.meta = std::move(meta);
  // Sync the bytes before taking the write lock unless they are (very likely) a duplicate;
  // place() syncs anyway, so a wrong guess costs time under the lock, never durability.
  if (!meta_.blob_is_live(o.sha256)) upload.temp().sync();
  meta_.put_object(o, [&] { blobs_.place(upload.temp(), o.sha256); });
  return o;
}

GcReport Pool::gc(int64_t grace_ms) {
  GcReport report;
  const int64_t cutoff = now_ms() - grace_ms;
  while (true) {
    auto candidates = meta_.gc_candidates(cutoff, 256);
    for (const auto& sha : candidates) {
      if (auto size = meta_.gc_remove(sha, cutoff, [&] { blobs_.remove(sha); })) {
        ++report.blobs_removed;
        report.bytes_freed += *size;
      }
    }
    if (candidates.size() < 256) break;
  }
  return report;
}

}  // namespace herd

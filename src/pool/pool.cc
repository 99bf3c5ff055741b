#include "pool/pool.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "util/clock.h"
#include "util/hex.h"

namespace herd {

std::unique_ptr<Upload> Pool::begin_upload(int64_t max_size, bool may_pack) {
  std::call_once(lanes_once_, [this] { lanes_ = std::make_unique<HashLanes>(std::max(1u, std::thread::hardware_concurrency())); });
  return std::make_unique<Upload>(blobs_, max_size, may_pack ? pack_threshold_.load() : 0, lanes_.get());
}

void Pool::watch_other_nodes() {
  watch_ = meta_.watch_changes([this](const MetaChange& change) {
    switch (change.kind) {
      case MetaChange::Kind::kObject: cache_.invalidate_object(change.bucket_id, change.key); break;
      case MetaChange::Kind::kBucket: cache_.invalidate_bucket(change.bucket_id); break;
      case MetaChange::Kind::kEverything:
        cache_.clear();
        tenants_.invalidate();
        break;
    }
  });
}

std::optional<Bucket> Pool::read_bucket(const std::string& name) {
  return meta_.shared_by_nodes() ? cached_bucket(name) : meta_.bucket_by_name(name);
}

std::optional<ObjectRecord> Pool::read_object(int64_t bucket_id, const std::string& key) {
  return meta_.shared_by_nodes() ? cached_object(bucket_id, key) : meta_.get_object(bucket_id, key);
}

std::optional<std::unique_ptr<BlobReader>> Pool::open_blob_now(const ObjectRecord& object) {
  auto now = blobs_.open_now(object.sha256, object.location);
  if (!now || *now) return now;
  // Compaction may have moved the bytes since `object` was read (or cached): look again.
  auto where = meta_.blob_location(object.sha256);
  if (!where || *where == object.location) return std::unique_ptr<BlobReader>();
  return blobs_.open_now(object.sha256, *where);
}

std::unique_ptr<BlobReader> Pool::open_blob(const ObjectRecord& object) {
  if (auto reader = blobs_.open(object.sha256, object.location)) return reader;
  // Compaction may have moved the bytes since `object` was read (or cached): look again.
  auto where = meta_.blob_location(object.sha256);
  if (!where || *where == object.location) return nullptr;
  return blobs_.open(object.sha256, *where);
}

ObjectRecord Pool::record_of(Upload& upload, int64_t bucket_id, const std::string& key, ObjectMeta meta) {
  ObjectRecord o;
  o.bucket_id = bucket_id;
  o.key = key;
  o.sha256 = upload.sha256();
  o.size = upload.size();
  o.etag = to_hex(upload.md5());
  o.modified_ms = now_ms();
  o.meta = std::move(meta);
  return o;
}

ObjectRecord Pool::put(Upload& upload, int64_t bucket_id, const std::string& key, ObjectMeta meta,
                       PutOutcome* outcome) {
  ObjectRecord o = record_of(upload, bucket_id, key, std::move(meta));
  sync_unless_duplicate(upload);
  PutOutcome done = group_commit_.commit(o, upload.temp(), upload.md5());
  if (outcome) *outcome = done;
  cache_.invalidate_object(bucket_id, key);
  return o;
}

void Pool::put_async(Upload& upload, int64_t bucket_id, const std::string& key, ObjectMeta meta, PutDone done) {
  auto o = std::make_shared<ObjectRecord>(record_of(upload, bucket_id, key, std::move(meta)));
  TempBlob& temp = upload.temp();
  group_commit_.submit(*o, temp, upload.md5(), [this, o, done = std::move(done)](PutOutcome, std::exception_ptr error) {
    if (!error) cache_.invalidate_object(o->bucket_id, o->key);
    done(std::move(*o), error);
  });
}

std::optional<Bucket> Pool::cached_bucket(const std::string& name) {
  if (auto b = cache_.bucket(name)) return b;
  uint64_t epoch = cache_.epoch();
  auto b = meta_.bucket_by_name(name);
  if (b) cache_.put_bucket(*b, epoch);
  return b;
}

std::optional<ObjectRecord> Pool::cached_object(int64_t bucket_id, const std::string& key) {
  if (auto o = cache_.object(bucket_id, key)) return *o;
  uint64_t epoch = cache_.epoch();
  auto o = meta_.get_object(bucket_id, key);
  cache_.put_object(bucket_id, key, o, epoch);
  return o;
}

bool Pool::remove(int64_t bucket_id, const std::string& key) {
  bool removed = commits_.remove(bucket_id, key);
  cache_.invalidate_object(bucket_id, key);
  return removed;
}

void Pool::remove_many(int64_t bucket_id, const std::vector<std::string>& keys) {
  commits_.remove_many(bucket_id, keys);
  for (const auto& key : keys) cache_.invalidate_object(bucket_id, key);
}

bool Pool::copy(const ObjectRecord& object) {
  if (!commits_.reference(object)) return false;
  cache_.invalidate_object(object.bucket_id, object.key);
  return true;
}

std::optional<BlobRecord> Pool::blob_usable_by(int64_t tenant_id, const std::string& sha256) {
  auto blob = meta_.get_blob(sha256);
  if (!blob || blob->state != BlobState::kLive || blob->refcount == 0 || blob->md5.empty()) return std::nullopt;
  if (!meta_.blob_usable_by(tenant_id, sha256)) return std::nullopt;
  return blob;
}

void Pool::count_skipped_upload(int64_t bytes) {
  auto txn = meta_.write(true);
  txn->add_to_counter(kCounterUploadsSkipped, 1);
  txn->add_to_counter(kCounterUploadBytesSkipped, bytes);
  txn->commit();
}

void Pool::restore_blob(Upload& upload) {
  auto row = meta_.get_blob(upload.sha256());
  if (!row) throw std::logic_error("restore_blob: no blob row for these bytes");
  BlobLocation where = blobs_.place(upload.temp(), upload.sha256());
  if (!(where == row->location)) meta_.set_blob_location(upload.sha256(), where);
  blobs_.release_placed({where});
}

bool Pool::commit_skipped_upload(const ObjectRecord& object) {
  bool ok = commits_.reference(object, [&](WriteTxn& txn) {
    txn.add_to_counter(kCounterUploadsSkipped, 1);
    txn.add_to_counter(kCounterUploadBytesSkipped, object.size);
  });
  if (!ok) return false;
  cache_.invalidate_object(object.bucket_id, object.key);
  return true;
}

bool Pool::set_object_acl(int64_t bucket_id, const std::string& key, const std::string& acl) {
  bool found = meta_.set_object_acl(bucket_id, key, acl);
  cache_.invalidate_object(bucket_id, key);
  return found;
}

void Pool::set_bucket_acl(int64_t bucket_id, const std::string& acl) {
  meta_.set_bucket_acl(bucket_id, acl);
  cache_.invalidate_bucket(bucket_id);
}

bool Pool::delete_bucket(int64_t bucket_id) {
  bool deleted = meta_.delete_bucket(bucket_id);
  cache_.invalidate_bucket(bucket_id);
  return deleted;
}

void Pool::delete_tenant(int64_t tenant_id) {
  auto buckets = meta_.list_buckets(tenant_id);
  discard_staged(commits_.remove_tenant(tenant_id));
  tenants_.invalidate();
  for (const auto& b : buckets) cache_.invalidate_bucket(b.id);
}

void Pool::sync_unless_duplicate(Upload& upload) {
  // Sync the bytes before taking the write lock unless they are (very likely) a duplicate;
  // place() syncs anyway, so a wrong guess costs time under the lock, never durability.
  // A body in memory is synced with its pack, when placed.
  if (!upload.in_memory() && !meta_.blob_is_live(upload.sha256())) upload.temp().sync();
}

void Pool::add_part(Upload& upload, PartRecord part) {
  part.staged = blobs_.stage(upload.temp(), upload.sha256());
  part.size = upload.size();
  part.modified_ms = now_ms();
  std::optional<std::string> replaced;
  try {
    replaced = meta_.put_part(part);
  } catch (...) {
    discard_staged({part.staged});
    throw;
  }
  if (replaced) discard_staged({*replaced});
}

ObjectRecord Pool::complete_multipart(Upload& upload, CompletedUpload& completed, ObjectRecord o) {
  o.sha256 = upload.sha256();
  o.size = upload.size();
  o.modified_ms = now_ms();
  completed.bucket_id = o.bucket_id;
  completed.key = o.key;
  completed.etag = o.etag;
  completed.checksum_algorithm = o.meta.checksum_algorithm;
  completed.checksum = o.meta.checksum;
  completed.completed_ms = o.modified_ms;
  sync_unless_duplicate(upload);
  std::vector<std::string> staged;
  commits_.commit_one(o, upload.temp(), upload.md5(), [&](WriteTxn& txn) {
    staged = txn.delete_multipart(completed.upload_id);
    txn.record_completed_multipart(completed);
  });
  cache_.invalidate_object(o.bucket_id, o.key);
  discard_staged(staged);
  return o;
}

void Pool::abort_multipart(const std::string& upload_id) { discard_staged(meta_.delete_multipart(upload_id)); }

int64_t Pool::abort_stale_multiparts(int64_t max_age_ms) {
  int64_t aborted = 0;
  const int64_t cutoff = now_ms() - max_age_ms;
  while (true) {
    auto stale = meta_.multiparts_before(cutoff, 256);
    for (const auto& u : stale) {
      try {
        abort_multipart(u.upload_id);
        ++aborted;
      } catch (const NoSuchUploadError&) {  // completed or aborted meanwhile
      }
    }
    if (stale.size() < 256) return aborted;
  }
}

int64_t Pool::forget_completed_multiparts(int64_t retention_ms) {
  return meta_.forget_completed_multiparts(now_ms() - retention_ms);
}

void Pool::discard_staged(const std::vector<std::string>& handles) {
  for (const auto& h : handles) {
    try {
      blobs_.remove_staged(h);
    } catch (const std::exception& e) {
      spdlog::warn("could not remove staged part {}: {}", h, e.what());
    }
  }
}

}  // namespace herd

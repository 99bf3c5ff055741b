#include "meta/postgres_write_txn.h"

#include "meta/postgres_rows.h"
#include "meta/row_codecs.h"

namespace herd {

using pg::bytea;
using pg::param;

PostgresWriteTxn::PostgresWriteTxn(PostgresMetaStore& store, bool durable) : store_(store), conn_(store) {
  tx_ = std::make_unique<PostgresMetaStore::Writing>(*conn_);
  if (!durable) conn_->exec("SET LOCAL synchronous_commit = off");
}

PostgresWriteTxn::~PostgresWriteTxn() = default;  // tx_ rolls back unless committed

std::optional<BlobRecord> PostgresWriteTxn::lock_blob(const std::string& sha256) {
  // The write lock already excludes every other writer; FOR UPDATE says what this row needs.
  auto r = conn_->query(std::string(postgres_rows::kBlobColumns) + "WHERE sha256 = $1 FOR UPDATE", {bytea(sha256)});
  if (r.empty()) return std::nullopt;
  return postgres_rows::read_blob(r, 0);
}

void PostgresWriteTxn::insert_pending_blob(const std::string& sha256, int64_t size, int64_t now_ms) {
  conn_->query("INSERT INTO blobs(sha256, size, refcount, zero_since_ms, pack, pack_offset, state, state_ms) "
               "VALUES($1,$2,0,NULL,NULL,NULL,0,$3)",
               {bytea(sha256), param(size), param(now_ms)});
}

void PostgresWriteTxn::set_blob_state(const std::string& sha256, BlobState state, int64_t now_ms) {
  conn_->query("UPDATE blobs SET state = $1::smallint, state_ms = CASE WHEN $1::smallint = 1 THEN NULL ELSE "
               "$2::bigint END, zero_since_ms = CASE WHEN $1::smallint = 0 THEN NULL WHEN $1::smallint = 1 AND "
               "refcount = 0 THEN $2::bigint ELSE zero_since_ms END, pack = CASE WHEN $1::smallint = 0 THEN NULL "
               "ELSE pack END, pack_offset = CASE WHEN $1::smallint = 0 THEN NULL ELSE pack_offset END "
               "WHERE sha256 = $3",
               {param(static_cast<int64_t>(state)), param(now_ms), bytea(sha256)});
}

void PostgresWriteTxn::make_blob_live(const std::string& sha256, const BlobLocation& where, const std::string& md5) {
  conn_->query("UPDATE blobs SET state = 1, state_ms = NULL, refcount = 1, zero_since_ms = NULL, pack = $1, "
               "pack_offset = $2, md5 = COALESCE($4, md5) WHERE sha256 = $3",
               {postgres_rows::pack_param(where), postgres_rows::offset_param(where), bytea(sha256),
                md5.empty() ? pg::null() : bytea(md5)});
}

bool PostgresWriteTxn::is_taken_down(const std::string& sha256) {
  return !conn_->query("SELECT 1 FROM takedowns WHERE sha256 = $1", {bytea(sha256)}).empty();
}

void PostgresWriteTxn::add_takedown(const Takedown& t) {
  conn_->query("INSERT INTO takedowns(sha256, reason, created_ms) VALUES($1, $2, $3) "
               "ON CONFLICT(sha256) DO UPDATE SET reason = excluded.reason, created_ms = excluded.created_ms",
               {bytea(t.sha256), param(t.reason), param(t.created_ms)});
}

bool PostgresWriteTxn::remove_takedown(const std::string& sha256) {
  return conn_->query("DELETE FROM takedowns WHERE sha256 = $1", {bytea(sha256)}).affected() > 0;
}

std::vector<std::pair<int64_t, std::string>> PostgresWriteTxn::objects_of_blob(const std::string& sha256) {
  auto r = conn_->query("SELECT bucket_id, key FROM objects WHERE sha256 = $1", {bytea(sha256)});
  std::vector<std::pair<int64_t, std::string>> out;
  for (int i = 0; i < r.rows(); ++i) out.emplace_back(r.int64(i, 0), r.bytes(i, 1));
  return out;
}

void PostgresWriteTxn::append_audit(const AuditEntry& e) {
  conn_->query("INSERT INTO audit_log(at_ms, action, sha256, detail) VALUES($1, $2, $3, $4)",
               {param(e.at_ms), param(e.action), bytea(e.sha256), param(e.detail)});
}

void PostgresWriteTxn::add_to_counter(const std::string& name, int64_t delta) {
  conn_->query("INSERT INTO counters(name, value) VALUES($1, $2) "
               "ON CONFLICT(name) DO UPDATE SET value = counters.value + excluded.value",
               {param(name), param(delta)});
}

void PostgresWriteTxn::add_reference(const std::string& sha256) {
  conn_->query("UPDATE blobs SET refcount = refcount + 1, zero_since_ms = NULL WHERE sha256 = $1", {bytea(sha256)});
}

void PostgresWriteTxn::release_reference(const std::string& sha256, int64_t now_ms) {
  conn_->query("UPDATE blobs SET refcount = refcount - 1, zero_since_ms = CASE WHEN refcount = 1 THEN $1 "
               "ELSE zero_since_ms END WHERE sha256 = $2 AND refcount > 0",
               {param(now_ms), bytea(sha256)});
}

void PostgresWriteTxn::delete_blob(const std::string& sha256) {
  conn_->query("DELETE FROM blobs WHERE sha256 = $1", {bytea(sha256)});
}

bool PostgresWriteTxn::bucket_exists(int64_t bucket_id) {
  // Buckets are created and deleted under the write lock this transaction holds: what it saw
  // holds until it ends (or deletes a tenant itself).
  if (known_buckets_.count(bucket_id)) return true;
  bool exists = !conn_->query("SELECT 1 FROM buckets WHERE id = $1", {param(bucket_id)}).empty();
  if (exists) known_buckets_.insert(bucket_id);
  return exists;
}

std::optional<std::string> PostgresWriteTxn::write_object(const ObjectRecord& o) {
  if (!bucket_exists(o.bucket_id)) throw NoSuchBucketError();
  changes_.push_back({MetaChange::Kind::kObject, o.bucket_id, o.key});
  // One round trip: the upsert returns the blob the row held before (the CTE reads the snapshot
  // from before the statement), NULL for a new key.
  // The owner's usage moves in the same statement; its new figures come back with the quotas.
  auto r = conn_->query(
      "WITH old AS (SELECT sha256, size FROM objects WHERE bucket_id = $1 AND key = $2), "
      "ins AS (INSERT INTO objects(bucket_id, key, sha256, size, etag, modified_ms, content_type, cache_control, "
      "content_disposition, content_encoding, user_meta, acl, checksum_algorithm, checksum, part_sizes, expires) "
      "VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16) ON CONFLICT (bucket_id, key) DO UPDATE SET "
      "sha256 = EXCLUDED.sha256, size = EXCLUDED.size, etag = EXCLUDED.etag, modified_ms = EXCLUDED.modified_ms, "
      "content_type = EXCLUDED.content_type, cache_control = EXCLUDED.cache_control, "
      "content_disposition = EXCLUDED.content_disposition, content_encoding = EXCLUDED.content_encoding, "
      "user_meta = EXCLUDED.user_meta, acl = EXCLUDED.acl, checksum_algorithm = EXCLUDED.checksum_algorithm, "
      "checksum = EXCLUDED.checksum, part_sizes = EXCLUDED.part_sizes, expires = EXCLUDED.expires RETURNING 1), "
      "usage AS (INSERT INTO tenant_usage(tenant_id, objects, logical_bytes) "
      "SELECT tenant_id, CASE WHEN EXISTS (SELECT 1 FROM old) THEN 0 ELSE 1 END, $4 - COALESCE((SELECT size FROM old), 0) "
      "FROM buckets WHERE id = $1 ON CONFLICT (tenant_id) DO UPDATE SET "
      "objects = tenant_usage.objects + EXCLUDED.objects, logical_bytes = tenant_usage.logical_bytes + EXCLUDED.logical_bytes "
      "RETURNING objects, logical_bytes, quota_objects, quota_bytes) "
      "SELECT (SELECT sha256 FROM old), (SELECT objects FROM usage), (SELECT logical_bytes FROM usage), "
      "(SELECT quota_objects FROM usage), (SELECT quota_bytes FROM usage), (SELECT size FROM old), "
      "(SELECT count(*) FROM ins)",
      {param(o.bucket_id), bytea(o.key), bytea(o.sha256), param(o.size), param(o.etag), param(o.modified_ms),
       param(o.meta.content_type), param(o.meta.cache_control), param(o.meta.content_disposition),
       param(o.meta.content_encoding), param(encode_user_meta(o.meta)), param(o.meta.acl),
       param(o.meta.checksum_algorithm), param(o.meta.checksum), param(encode_part_sizes(o.part_sizes)),
       param(o.meta.expires)});
  // Always one row: the replaced blob (NULL for a new key), the usage now, the quotas.
  const bool grows = r.is_null(0, 0) || o.size > r.int64(0, 5);  // a new key, or more bytes
  const bool over = (!r.is_null(0, 3) && r.int64(0, 1) > r.int64(0, 3)) ||
                    (!r.is_null(0, 4) && r.int64(0, 2) > r.int64(0, 4));
  if (grows && over) throw QuotaExceededError();  // the caller's entry (savepoint) is undone
  if (r.is_null(0, 0)) return std::nullopt;
  return r.bytes(0, 0);
}

std::optional<std::string> PostgresWriteTxn::delete_object(int64_t bucket_id, const std::string& key) {
  auto r = conn_->query("WITH d AS (DELETE FROM objects WHERE bucket_id = $1 AND key = $2 RETURNING sha256, size), "
                        "u AS (UPDATE tenant_usage SET objects = objects - 1, logical_bytes = logical_bytes - d.size "
                        "FROM d WHERE tenant_id = (SELECT tenant_id FROM buckets WHERE id = $1)) SELECT sha256 FROM d",
                        {param(bucket_id), bytea(key)});
  if (r.empty()) return std::nullopt;
  changes_.push_back({MetaChange::Kind::kObject, bucket_id, key});
  return r.bytes(0, 0);
}

WriteTxn::DeletedTenant PostgresWriteTxn::delete_tenant(int64_t tenant_id) {
  DeletedTenant out;
  known_buckets_.clear();
  changes_.push_back({MetaChange::Kind::kEverything, 0, ""});  // its keys, buckets and objects
  const std::string buckets = "(SELECT id FROM buckets WHERE tenant_id = $1)";
  auto staged = conn_->query(
      "DELETE FROM multipart_parts WHERE upload_id IN (SELECT upload_id FROM multipart_uploads WHERE bucket_id IN " +
          buckets + ") RETURNING staged",
      {param(tenant_id)});
  for (int i = 0; i < staged.rows(); ++i) out.staged.push_back(staged.text(i, 0));
  conn_->query("DELETE FROM multipart_uploads WHERE bucket_id IN " + buckets, {param(tenant_id)});
  conn_->query("DELETE FROM completed_multiparts WHERE bucket_id IN " + buckets, {param(tenant_id)});
  auto blobs = conn_->query("DELETE FROM objects WHERE bucket_id IN " + buckets + " RETURNING sha256", {param(tenant_id)});
  for (int i = 0; i < blobs.rows(); ++i) out.blobs.push_back(blobs.bytes(i, 0));
  conn_->query("DELETE FROM buckets WHERE tenant_id = $1", {param(tenant_id)});
  conn_->query("DELETE FROM tenant_usage WHERE tenant_id = $1", {param(tenant_id)});
  conn_->query("DELETE FROM tenants WHERE id = $1", {param(tenant_id)});
  return out;
}

std::vector<std::string> PostgresWriteTxn::delete_multipart(const std::string& upload_id) {
  return PostgresMetaStore::delete_multipart_locked(*conn_, upload_id);
}

void PostgresWriteTxn::record_completed_multipart(const CompletedUpload& u) {
  conn_->query("INSERT INTO completed_multiparts(upload_id, bucket_id, key, parts, etag, checksum_algorithm, "
               "checksum, checksum_type, completed_ms) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (upload_id) "
               "DO UPDATE SET bucket_id = EXCLUDED.bucket_id, key = EXCLUDED.key, parts = EXCLUDED.parts, "
               "etag = EXCLUDED.etag, checksum_algorithm = EXCLUDED.checksum_algorithm, checksum = EXCLUDED.checksum, "
               "checksum_type = EXCLUDED.checksum_type, completed_ms = EXCLUDED.completed_ms",
               {param(u.upload_id), param(u.bucket_id), bytea(u.key), param(u.parts), param(u.etag),
                param(u.checksum_algorithm), param(u.checksum), param(u.checksum_type), param(u.completed_ms)});
}

// One round trip per entry: a kept entry's savepoint is released together with the next entry's
// start (or by the commit).
void PostgresWriteTxn::begin_entry() {
  conn_->exec(release_pending_ ? "RELEASE SAVEPOINT entry; SAVEPOINT entry" : "SAVEPOINT entry");
  release_pending_ = false;
}

void PostgresWriteTxn::end_entry(bool keep) {
  if (keep) {
    release_pending_ = true;
    return;
  }
  conn_->exec("ROLLBACK TO SAVEPOINT entry; RELEASE SAVEPOINT entry");
}

void PostgresWriteTxn::commit() {
  store_.publish(*conn_, changes_);
  tx_->commit();
}

}  // namespace herd

#include "meta/sqlite_write_txn.h"

#include "meta/row_codecs.h"
#include "meta/sqlite_rows.h"

namespace herd {

using sqlite_rows::bind_location;

SqliteWriteTxn::SqliteWriteTxn(SqliteMetaStore& store, bool durable)
    : conn_(store), lock_(store.write_mu_), durable_(durable) {
  if (!durable_) conn_->exec("PRAGMA synchronous=OFF");
  try {
    tx_ = std::make_unique<sqlite::Transaction>(*conn_);
  } catch (...) {
    if (!durable_) conn_->exec("PRAGMA synchronous=FULL");
    throw;
  }
}

SqliteWriteTxn::~SqliteWriteTxn() {
  tx_.reset();  // rolls back unless committed
  if (!durable_) {
    try {
      conn_->exec("PRAGMA synchronous=FULL");  // the connection goes back to the pool durable
    } catch (...) {
    }
  }
}

std::optional<BlobRecord> SqliteWriteTxn::lock_blob(const std::string& sha256) {
  // BEGIN IMMEDIATE already holds the database's write lock: every row is locked.
  sqlite::Use s(conn_->prepare(std::string(sqlite_rows::kBlobColumns) + "WHERE sha256 = ?"));
  s->bind_blob(1, sha256);
  if (!s->step()) return std::nullopt;
  return sqlite_rows::read_blob(*s);
}

void SqliteWriteTxn::insert_pending_blob(const std::string& sha256, int64_t size, int64_t now_ms) {
  sqlite::Use(conn_->prepare("INSERT INTO blobs(sha256, size, refcount, zero_since_ms, pack, pack_offset, state, "
                             "state_ms) VALUES(?,?,0,NULL,NULL,NULL,0,?)"))
      ->bind_blob(1, sha256)
      .bind(2, size)
      .bind(3, now_ms)
      .run();
}

void SqliteWriteTxn::set_blob_state(const std::string& sha256, BlobState state, int64_t now_ms) {
  sqlite::Use(conn_->prepare("UPDATE blobs SET state = ?1, state_ms = CASE WHEN ?1 = 1 THEN NULL ELSE ?2 END, "
                             "zero_since_ms = CASE WHEN ?1 = 0 THEN NULL WHEN ?1 = 1 AND refcount = 0 THEN ?2 "
                             "ELSE zero_since_ms END, pack = CASE WHEN ?1 = 0 THEN NULL ELSE pack END, pack_offset = "
                             "CASE WHEN ?1 = 0 THEN NULL ELSE pack_offset END WHERE sha256 = ?3"))
      ->bind(1, static_cast<int64_t>(state))
      .bind(2, now_ms)
      .bind_blob(3, sha256)
      .run();
}

void SqliteWriteTxn::make_blob_live(const std::string& sha256, const BlobLocation& where, const std::string& md5) {
  sqlite::Use s(conn_->prepare("UPDATE blobs SET state = 1, state_ms = NULL, refcount = 1, zero_since_ms = NULL, "
                               "pack = ?, pack_offset = ?, md5 = COALESCE(?, md5) WHERE sha256 = ?"));
  bind_location(*s, 1, where);
  if (md5.empty()) s->bind_null(3);
  else s->bind_blob(3, md5);
  s->bind_blob(4, sha256).run();
}

bool SqliteWriteTxn::is_taken_down(const std::string& sha256) {
  sqlite::Use s(conn_->prepare("SELECT 1 FROM takedowns WHERE sha256 = ?"));
  s->bind_blob(1, sha256);
  return s->step();
}

void SqliteWriteTxn::add_takedown(const Takedown& t) {
  sqlite::Use(conn_->prepare("INSERT OR REPLACE INTO takedowns(sha256, reason, created_ms) VALUES(?, ?, ?)"))
      ->bind_blob(1, t.sha256)
      .bind(2, std::string_view(t.reason))
      .bind(3, t.created_ms)
      .run();
}

bool SqliteWriteTxn::remove_takedown(const std::string& sha256) {
  if (!is_taken_down(sha256)) return false;
  sqlite::Use(conn_->prepare("DELETE FROM takedowns WHERE sha256 = ?"))->bind_blob(1, sha256).run();
  return true;
}

std::vector<std::pair<int64_t, std::string>> SqliteWriteTxn::objects_of_blob(const std::string& sha256) {
  sqlite::Use s(conn_->prepare("SELECT bucket_id, key FROM objects WHERE sha256 = ?"));
  s->bind_blob(1, sha256);
  std::vector<std::pair<int64_t, std::string>> out;
  while (s->step()) out.emplace_back(s->int64(0), s->text(1));
  return out;
}

void SqliteWriteTxn::append_audit(const AuditEntry& e) {
  sqlite::Use(conn_->prepare("INSERT INTO audit_log(at_ms, action, sha256, detail) VALUES(?, ?, ?, ?)"))
      ->bind(1, e.at_ms)
      .bind(2, std::string_view(e.action))
      .bind_blob(3, e.sha256)
      .bind(4, std::string_view(e.detail))
      .run();
}

void SqliteWriteTxn::add_to_counter(const std::string& name, int64_t delta) {
  sqlite::Use(conn_->prepare("INSERT INTO counters(name, value) VALUES(?, ?) "
                             "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value"))
      ->bind(1, std::string_view(name))
      .bind(2, delta)
      .run();
}

void SqliteWriteTxn::add_reference(const std::string& sha256) {
  sqlite::Use(conn_->prepare("UPDATE blobs SET refcount = refcount + 1, zero_since_ms = NULL WHERE sha256 = ?"))
      ->bind_blob(1, sha256)
      .run();
}

void SqliteWriteTxn::release_reference(const std::string& sha256, int64_t now_ms) {
  sqlite::Use(conn_->prepare("UPDATE blobs SET refcount = refcount - 1, zero_since_ms = CASE WHEN refcount = 1 THEN ? "
                             "ELSE zero_since_ms END WHERE sha256 = ? AND refcount > 0"))
      ->bind(1, now_ms)
      .bind_blob(2, sha256)
      .run();
}

void SqliteWriteTxn::delete_blob(const std::string& sha256) {
  sqlite::Use(conn_->prepare("DELETE FROM blobs WHERE sha256 = ?"))->bind_blob(1, sha256).run();
}

bool SqliteWriteTxn::bucket_exists(int64_t bucket_id) {
  sqlite::Use s(conn_->prepare("SELECT 1 FROM buckets WHERE id = ?"));
  s->bind(1, bucket_id);
  return s->step();
}

void SqliteWriteTxn::adjust_usage(int64_t bucket_id, int64_t objects, int64_t bytes) {
  sqlite::Use s(conn_->prepare(
      "INSERT INTO tenant_usage(tenant_id, objects, logical_bytes) SELECT tenant_id, ?, ? FROM buckets WHERE id = ? "
      "ON CONFLICT(tenant_id) DO UPDATE SET objects = objects + excluded.objects, "
      "logical_bytes = logical_bytes + excluded.logical_bytes "
      "RETURNING objects, logical_bytes, quota_objects, quota_bytes"));
  s->bind(1, objects).bind(2, bytes).bind(3, bucket_id);
  bool over = false;
  if (s->step() && (objects > 0 || bytes > 0))
    over = (!s->is_null(2) && s->int64(0) > s->int64(2)) || (!s->is_null(3) && s->int64(1) > s->int64(3));
  while (s->step()) {
  }
  if (over) throw QuotaExceededError();  // the caller's entry (savepoint) is undone
}

std::optional<std::string> SqliteWriteTxn::write_object(const ObjectRecord& o) {
  if (!bucket_exists(o.bucket_id)) throw NoSuchBucketError();
  std::optional<std::string> previous;
  int64_t previous_size = 0;
  {
    sqlite::Use s(conn_->prepare("SELECT sha256, size FROM objects WHERE bucket_id = ? AND key = ?"));
    s->bind(1, o.bucket_id).bind(2, o.key);
    if (s->step()) {
      previous = s->blob(0);
      previous_size = s->int64(1);
    }
  }
  adjust_usage(o.bucket_id, previous ? 0 : 1, o.size - previous_size);
  sqlite::Use(conn_->prepare("INSERT OR REPLACE INTO objects(bucket_id, key, sha256, size, etag, modified_ms, "
                             "content_type, cache_control, content_disposition, content_encoding, user_meta, acl, "
                             "checksum_algorithm, checksum, part_sizes, expires) "
                             "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"))
      ->bind(1, o.bucket_id)
      .bind(2, o.key)
      .bind_blob(3, o.sha256)
      .bind(4, o.size)
      .bind(5, o.etag)
      .bind(6, o.modified_ms)
      .bind(7, o.meta.content_type)
      .bind(8, o.meta.cache_control)
      .bind(9, o.meta.content_disposition)
      .bind(10, o.meta.content_encoding)
      .bind(11, encode_user_meta(o.meta))
      .bind(12, o.meta.acl)
      .bind(13, o.meta.checksum_algorithm)
      .bind(14, o.meta.checksum)
      .bind(15, encode_part_sizes(o.part_sizes))
      .bind(16, o.meta.expires)
      .run();
  return previous;
}

std::optional<std::string> SqliteWriteTxn::delete_object(int64_t bucket_id, const std::string& key) {
  std::string sha;
  int64_t size = 0;
  {
    sqlite::Use s(conn_->prepare("SELECT sha256, size FROM objects WHERE bucket_id = ? AND key = ?"));
    s->bind(1, bucket_id).bind(2, key);
    if (!s->step()) return std::nullopt;
    sha = s->blob(0);
    size = s->int64(1);
  }
  sqlite::Use(conn_->prepare("DELETE FROM objects WHERE bucket_id = ? AND key = ?"))->bind(1, bucket_id).bind(2, key).run();
  adjust_usage(bucket_id, -1, -size);
  return sha;
}

WriteTxn::DeletedTenant SqliteWriteTxn::delete_tenant(int64_t tenant_id) {
  DeletedTenant out;
  {
    sqlite::Use s(conn_->prepare(
        "SELECT o.sha256 FROM objects o JOIN buckets b ON o.bucket_id = b.id WHERE b.tenant_id = ?"));
    s->bind(1, tenant_id);
    while (s->step()) out.blobs.push_back(s->blob(0));
  }
  {
    sqlite::Use s(conn_->prepare(
        "SELECT p.staged FROM multipart_parts p JOIN multipart_uploads u ON p.upload_id = u.upload_id "
        "JOIN buckets b ON u.bucket_id = b.id WHERE b.tenant_id = ?"));
    s->bind(1, tenant_id);
    while (s->step()) out.staged.push_back(s->text(0));
  }
  const std::string buckets = "(SELECT id FROM buckets WHERE tenant_id = ?)";
  for (const std::string& sql :
       {"DELETE FROM multipart_parts WHERE upload_id IN (SELECT upload_id FROM multipart_uploads WHERE bucket_id IN " +
            buckets + ")",
        "DELETE FROM multipart_uploads WHERE bucket_id IN " + buckets,
        "DELETE FROM completed_multiparts WHERE bucket_id IN " + buckets, "DELETE FROM objects WHERE bucket_id IN " + buckets,
        std::string("DELETE FROM buckets WHERE tenant_id = ?"), std::string("DELETE FROM tenant_usage WHERE tenant_id = ?"),
        std::string("DELETE FROM tenants WHERE id = ?")})
    sqlite::Use(conn_->prepare(sql))->bind(1, tenant_id).run();
  return out;
}

std::vector<std::string> SqliteWriteTxn::delete_multipart(const std::string& upload_id) {
  return SqliteMetaStore::delete_multipart_locked(*conn_, upload_id);
}

void SqliteWriteTxn::record_completed_multipart(const CompletedUpload& u) {
  sqlite::Use(conn_->prepare("INSERT OR REPLACE INTO completed_multiparts(upload_id, bucket_id, key, parts, etag, "
                             "checksum_algorithm, checksum, checksum_type, completed_ms) VALUES(?,?,?,?,?,?,?,?,?)"))
      ->bind(1, u.upload_id)
      .bind(2, u.bucket_id)
      .bind(3, u.key)
      .bind(4, u.parts)
      .bind(5, u.etag)
      .bind(6, u.checksum_algorithm)
      .bind(7, u.checksum)
      .bind(8, u.checksum_type)
      .bind(9, u.completed_ms)
      .run();
}

void SqliteWriteTxn::begin_entry() { sqlite::Use(conn_->prepare("SAVEPOINT entry"))->run(); }

void SqliteWriteTxn::end_entry(bool keep) {
  if (!keep) conn_->exec("ROLLBACK TO entry");
  sqlite::Use(conn_->prepare("RELEASE entry"))->run();
}

void SqliteWriteTxn::commit() { tx_->commit(); }

}  // namespace herd

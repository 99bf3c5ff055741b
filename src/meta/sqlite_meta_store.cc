#include "meta/sqlite_meta_store.h"

#include "meta/row_codecs.h"
#include "meta/sqlite_rows.h"
#include "meta/sqlite_write_txn.h"
#include "util/clock.h"

namespace herd {

using sqlite_rows::read_location;

namespace {

constexpr int kBusyTimeoutMs = 30000;

// Schema version 3 (version 1 lacked the blobs' pack columns, version 2 their states, the
// objects' expires column and the completed_multiparts table; migrate() adds them). Keys compare
// bytewise (BINARY collation), which is S3's UTF-8 key order.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tenants(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  access_key TEXT NOT NULL UNIQUE,
  secret_key TEXT NOT NULL,
  created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS buckets(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  tenant_id INTEGER NOT NULL REFERENCES tenants(id),
  created_ms INTEGER NOT NULL,
  acl TEXT NOT NULL DEFAULT 'private');
CREATE INDEX IF NOT EXISTS buckets_by_tenant ON buckets(tenant_id, name);
-- One row per distinct content. refcount counts object rows; zero_since_ms is set while it is 0.
-- pack and pack_offset say where a packed blob's bytes are (NULL: a file of its own).
-- state (BlobState): 0 pending, 1 live, 2 deleting; state_ms: since when (pending, deleting).
-- The state columns are added by migrate(), so that version 1 and 2 databases gain them too.
CREATE TABLE IF NOT EXISTS blobs(
  sha256 BLOB PRIMARY KEY,
  size INTEGER NOT NULL,
  refcount INTEGER NOT NULL,
  zero_since_ms INTEGER,
  pack INTEGER,
  pack_offset INTEGER) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS blobs_unreferenced ON blobs(zero_since_ms) WHERE refcount = 0;
CREATE TABLE IF NOT EXISTS objects(
  bucket_id INTEGER NOT NULL REFERENCES buckets(id),
  key TEXT NOT NULL,
  sha256 BLOB NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  modified_ms INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  cache_control TEXT NOT NULL,
  content_disposition TEXT NOT NULL,
  content_encoding TEXT NOT NULL,
  user_meta TEXT NOT NULL,
  acl TEXT NOT NULL,
  checksum_algorithm TEXT NOT NULL,
  checksum TEXT NOT NULL,
  part_sizes TEXT NOT NULL,
  PRIMARY KEY(bucket_id, key)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS objects_by_blob ON objects(sha256);
CREATE TABLE IF NOT EXISTS multipart_uploads(
  upload_id TEXT PRIMARY KEY,
  bucket_id INTEGER NOT NULL REFERENCES buckets(id),
  key TEXT NOT NULL,
  meta TEXT NOT NULL,
  checksum_type TEXT NOT NULL,
  created_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS multipart_by_key ON multipart_uploads(bucket_id, key, upload_id);
CREATE INDEX IF NOT EXISTS multipart_by_age ON multipart_uploads(created_ms);
CREATE TABLE IF NOT EXISTS multipart_parts(
  upload_id TEXT NOT NULL REFERENCES multipart_uploads(upload_id),
  part_number INTEGER NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  checksum TEXT NOT NULL,
  staged TEXT NOT NULL,
  modified_ms INTEGER NOT NULL,
  PRIMARY KEY(upload_id, part_number)) WITHOUT ROWID;
)sql";

bool has_column(sqlite::Connection& c, const char* table, const char* column) {
  sqlite::Use s(c.prepare(std::string("SELECT COUNT(*) FROM pragma_table_info('") + table + "') WHERE name = ?"));
  s->bind(1, std::string_view(column));
  return s->step() && s->int64(0) > 0;
}

bool has_table(sqlite::Connection& c, const char* table) {
  sqlite::Use s(c.prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?"));
  s->bind(1, std::string_view(table));
  return s->step() && s->int64(0) > 0;
}

// Brings a version 1 to 5 database up to version 6, and creates what versions 2 to 6 added.
// Every row of an older database is live: it had no other states; its objects have no Expires.
void migrate(sqlite::Connection& c) {
  if (!has_column(c, "blobs", "pack")) {
    c.exec("ALTER TABLE blobs ADD COLUMN pack INTEGER");
    c.exec("ALTER TABLE blobs ADD COLUMN pack_offset INTEGER");
  }
  if (!has_column(c, "blobs", "state")) {
    c.exec("ALTER TABLE blobs ADD COLUMN state INTEGER NOT NULL DEFAULT 1");
    c.exec("ALTER TABLE blobs ADD COLUMN state_ms INTEGER");
  }
  c.exec("CREATE INDEX IF NOT EXISTS blobs_by_pack ON blobs(pack) WHERE pack IS NOT NULL");
  c.exec("CREATE INDEX IF NOT EXISTS blobs_unsettled ON blobs(state) WHERE state <> 1");
  if (!has_column(c, "objects", "expires")) c.exec("ALTER TABLE objects ADD COLUMN expires TEXT NOT NULL DEFAULT ''");
  // Version 4: each blob's MD5 (NULL for blobs made live before), so an ETag needs no bytes.
  if (!has_column(c, "blobs", "md5")) c.exec("ALTER TABLE blobs ADD COLUMN md5 BLOB");
  // Completed multipart uploads, kept for [multipart] completed_retention_seconds so that a
  // retried Complete answers as the first one did; parts is the SHA-256 of the part list.
  c.exec(
      "CREATE TABLE IF NOT EXISTS completed_multiparts("
      "upload_id TEXT PRIMARY KEY, bucket_id INTEGER NOT NULL REFERENCES buckets(id), key TEXT NOT NULL, "
      "parts TEXT NOT NULL, etag TEXT NOT NULL, checksum_algorithm TEXT NOT NULL, checksum TEXT NOT NULL, "
      "checksum_type TEXT NOT NULL, completed_ms INTEGER NOT NULL)");
  // Version 4: pool counters (names in meta/types.h, PoolStats).
  c.exec("CREATE TABLE IF NOT EXISTS counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID");
  c.exec("CREATE INDEX IF NOT EXISTS completed_multiparts_by_age ON completed_multiparts(completed_ms)");
  c.exec("CREATE INDEX IF NOT EXISTS completed_multiparts_by_bucket ON completed_multiparts(bucket_id)");
  // Version 5: takedowns and the audit log.
  c.exec("CREATE TABLE IF NOT EXISTS takedowns(sha256 BLOB PRIMARY KEY, reason TEXT NOT NULL, "
         "created_ms INTEGER NOT NULL) WITHOUT ROWID");
  c.exec("CREATE TABLE IF NOT EXISTS audit_log(id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, "
         "action TEXT NOT NULL, sha256 BLOB NOT NULL, detail TEXT NOT NULL)");
  // Version 6: each tenant's usage, kept in step by every object write, and its quotas; a
  // database from before gets its figures counted once.
  if (!has_table(c, "tenant_usage")) {
    c.exec("CREATE TABLE tenant_usage(tenant_id INTEGER PRIMARY KEY REFERENCES tenants(id), objects INTEGER NOT NULL, "
           "logical_bytes INTEGER NOT NULL, quota_objects INTEGER, quota_bytes INTEGER)");
    c.exec("INSERT INTO tenant_usage(tenant_id, objects, logical_bytes) SELECT b.tenant_id, COUNT(*), SUM(o.size) "
           "FROM objects o JOIN buckets b ON b.id = o.bucket_id GROUP BY b.tenant_id");
  }
  c.exec("PRAGMA user_version = 6");
}

Tenant read_tenant(sqlite::Statement& s) {
  return Tenant{s.int64(0), s.text(1), s.text(2), s.text(3), s.int64(4)};
}

Bucket read_bucket(sqlite::Statement& s) { return Bucket{s.int64(0), s.text(1), s.int64(2), s.int64(3), s.text(4)}; }

constexpr const char* kTenantColumns = "SELECT id, name, access_key, secret_key, created_ms FROM tenants ";
constexpr const char* kBucketColumns = "SELECT id, name, tenant_id, created_ms, acl FROM buckets ";

}  // namespace

SqliteMetaStore::SqliteMetaStore(std::string path) : path_(std::move(path)) {
  Lease c(*this);
  std::lock_guard lock(write_mu_);
  sqlite::Transaction tx(*c);
  c->exec(kSchema);
  migrate(*c);
  tx.commit();
}

SqliteMetaStore::~SqliteMetaStore() = default;

SqliteMetaStore::Lease::Lease(SqliteMetaStore& store) : store_(store) {
  {
    std::lock_guard lock(store.pool_mu_);
    if (!store.idle_.empty()) {
      conn_ = std::move(store.idle_.back());
      store.idle_.pop_back();
    }
  }
  if (!conn_) conn_ = std::make_unique<sqlite::Connection>(store.path_, kBusyTimeoutMs);
}

SqliteMetaStore::Lease::~Lease() {
  std::lock_guard lock(store_.pool_mu_);
  store_.idle_.push_back(std::move(conn_));
}

bool SqliteMetaStore::create_tenant(Tenant& t) {
  Lease c(*this);
  std::lock_guard lock(write_mu_);
  sqlite::Transaction tx(*c);
  {
    sqlite::Use s(c->prepare("SELECT 1 FROM tenants WHERE name = ? OR access_key = ?"));
    s->bind(1, t.name).bind(2, t.access_key);
    if (s->step()) return false;
  }
  t.created_ms = now_ms();
  sqlite::Use s(c->prepare("INSERT INTO tenants(name, access_key, secret_key, created_ms) VALUES(?,?,?,?)"));
  s->bind(1, t.name).bind(2, t.access_key).bind(3, t.secret_key).bind(4, t.created_ms).run();
  t.id = c->last_insert_rowid();
  tx.commit();
  return true;
}

std::optional<Tenant> SqliteMetaStore::tenant_by_access_key(const std::string& access_key) {
  Lease c(*this);
  sqlite::Use s(c->prepare(std::string(kTenantColumns) + "WHERE access_key = ?"));
  s->bind(1, access_key);
  if (!s->step()) return std::nullopt;
  return read_tenant(*s);
}

std::optional<Tenant> SqliteMetaStore::tenant_by_name(const std::string& name) {
  Lease c(*this);
  sqlite::Use s(c->prepare(std::string(kTenantColumns) + "WHERE name = ?"));
  s->bind(1, name);
  if (!s->step()) return std::nullopt;
  return read_tenant(*s);
}

std::optional<Tenant> SqliteMetaStore::tenant_by_id(int64_t id) {
  Lease c(*this);
  sqlite::Use s(c->prepare(std::string(kTenantColumns) + "WHERE id = ?"));
  s->bind(1, id);
  if (!s->step()) return std::nullopt;
  return read_tenant(*s);
}

std::vector<Tenant> SqliteMetaStore::list_tenants() {
  Lease c(*this);
  sqlite::Use s(c->prepare(std::string(kTenantColumns) + "ORDER BY name"));
  std::vector<Tenant> out;
  while (s->step()) out.push_back(read_tenant(*s));
  return out;
}

int64_t SqliteMetaStore::count_buckets(int64_t tenant_id) {
  Lease c(*this);
  sqlite::Use s(c->prepare("SELECT COUNT(*) FROM buckets WHERE tenant_id = ?"));
  s->bind(1, tenant_id);
  s->step();
  return s->int64(0);
}

CreateBucketResult SqliteMetaStore::create_bucket(int64_t tenant_id, const std::string& name) {
  Lease c(*this);
  std::lock_guard lock(write_mu_);
  sqlite::Transaction tx(*c);
  {
    sqlite::Use s(c->prepare("SELECT tenant_id FROM buckets WHERE name = ?"));
    s->bind(1, name);
    if (s->step())
      return s->int64(0) == tenant_id ? CreateBucketResult::kOwnedByYou : CreateBucketResult::kTakenByOther;
  }
  sqlite::Use(c->prepare("INSERT INTO buckets(name, tenant_id, created_ms) VALUES(?,?,?)"))
      ->bind(1, name)
      .bind(2, tenant_id)
      .bind(3, now_ms())
      .run();
  tx.commit();
  return CreateBucketResult::kCreated;
}

std::optional<Bucket> SqliteMetaStore::bucket_by_name(const std::string& name) {
  Lease c(*this);
  sqlite::Use s(c->prepare(std::string(kBucketColumns) + "WHERE name = ?"));
  s->bind(1, name);
  if (!s->step()) return std::nullopt;
  return read_bucket(*s);
}

std::vector<Bucket> SqliteMetaStore::list_buckets(int64_t tenant_id) {
  Lease c(*this);
  sqlite::Use s(c->prepare(std::string(kBucketColumns) + "WHERE tenant_id = ? ORDER BY name"));
  s->bind(1, tenant_id);
  std::vector<Bucket> out;
  while (s->step()) out.push_back(read_bucket(*s));
  return out;
}

bool SqliteMetaStore::delete_bucket(int64_t bucket_id) {
  Lease c(*this);
  std::lock_guard lock(write_mu_);
  sqlite::Transaction tx(*c);
  for (const char* sql : {"SELECT 1 FROM objects WHERE bucket_id = ? LIMIT 1",
                          "SELECT 1 FROM multipart_uploads WHERE bucket_id = ? LIMIT 1"}) {
    sqlite::Use s(c->prepare(sql));
    s->bind(1, bucket_id);
    if (s->step()) return false;
  }
  sqlite::Use(c->prepare("DELETE FROM completed_multiparts WHERE bucket_id = ?"))->bind(1, bucket_id).run();
  sqlite::Use(c->prepare("DELETE FROM buckets WHERE id = ?"))->bind(1, bucket_id).run();
  tx.commit();
  return true;
}

namespace {

constexpr const char* kObjectColumns =
    "SELECT o.bucket_id, o.key, o.sha256, o.size, o.etag, o.modified_ms, o.content_type, o.cache_control, "
    "o.content_disposition, o.content_encoding, o.user_meta, o.acl, o.checksum_algorithm, o.checksum, o.part_sizes, "
    "bl.pack, bl.pack_offset, o.expires FROM objects o LEFT JOIN blobs bl ON bl.sha256 = o.sha256 ";

ObjectRecord read_object(sqlite::Statement& s) {
  ObjectRecord o;
  o.bucket_id = s.int64(0);
  o.key = s.text(1);
  o.sha256 = s.blob(2);
  o.size = s.int64(3);
  o.etag = s.text(4);
  o.modified_ms = s.int64(5);
  o.meta.content_type = s.text(6);
  o.meta.cache_control = s.text(7);
  o.meta.content_disposition = s.text(8);
  o.meta.content_encoding = s.text(9);
  decode_user_meta(s.text(10), o.meta);
  o.meta.acl = s.text(11);
  o.meta.checksum_algorithm = s.text(12);
  o.meta.checksum = s.text(13);
  o.part_sizes = decode_part_sizes(s.text(14));
  o.location = read_location(s, 15);
  o.meta.expires = s.text(17);
  return o;
}

}  // namespace

std::optional<ObjectRecord> SqliteMetaStore::get_object(int64_t bucket_id, const std::string& key) {
  Lease c(*this);
  sqlite::Use s(c->prepare(std::string(kObjectColumns) + "WHERE o.bucket_id = ? AND o.key = ?"));
  s->bind(1, bucket_id).bind(2, key);
  if (!s->step()) return std::nullopt;
  return read_object(*s);
}

std::optional<ObjectRecord> SqliteMetaStore::public_object_for_blob(const std::string& sha256) {
  Lease c(*this);
  sqlite::Use s(c->prepare(std::string(kObjectColumns) +
                           "WHERE o.sha256 = ? AND o.acl IN ('public-read', 'public-read-write') LIMIT 1"));
  s->bind_blob(1, sha256);
  if (!s->step()) return std::nullopt;
  return read_object(*s);
}

bool SqliteMetaStore::blob_usable_by(int64_t tenant_id, const std::string& sha256) {
  Lease c(*this);
  sqlite::Use s(c->prepare("SELECT 1 FROM objects o JOIN buckets b ON b.id = o.bucket_id WHERE o.sha256 = ? AND "
                           "(o.acl IN ('public-read', 'public-read-write') OR b.tenant_id = ?) LIMIT 1"));
  s->bind_blob(1, sha256).bind(2, tenant_id);
  return s->step();
}

TenantUsage SqliteMetaStore::tenant_usage(int64_t tenant_id) {
  Lease c(*this);
  sqlite::Use s(c->prepare("SELECT objects, logical_bytes, quota_objects, quota_bytes FROM tenant_usage WHERE tenant_id = ?"));
  s->bind(1, tenant_id);
  TenantUsage u;
  if (!s->step()) return u;
  u.objects = s->int64(0);
  u.logical_bytes = s->int64(1);
  if (!s->is_null(2)) u.quota_objects = s->int64(2);
  if (!s->is_null(3)) u.quota_bytes = s->int64(3);
  return u;
}

void SqliteMetaStore::set_tenant_quota(int64_t tenant_id, std::optional<int64_t> objects, std::optional<int64_t> bytes) {
  Lease c(*this);
  std::lock_guard lock(write_mu_);
  sqlite::Use s(c->prepare("INSERT INTO tenant_usage(tenant_id, objects, logical_bytes, quota_objects, quota_bytes) "
                           "VALUES(?, 0, 0, ?, ?) ON CONFLICT(tenant_id) DO UPDATE SET "
                           "quota_objects = excluded.quota_objects, quota_bytes = excluded.quota_bytes"));
  s->bind(1, tenant_id);
  if (objects) s->bind(2, *objects);
  else s->bind_null(2);
  if (bytes) s->bind(3, *bytes);
  else s->bind_null(3);
  s->run();
}

std::vector<Takedown> SqliteMetaStore::list_takedowns() {
  Lease c(*this);
  sqlite::Use s(c->prepare("SELECT sha256, reason, created_ms FROM takedowns ORDER BY created_ms, sha256"));
  std::vector<Takedown> out;
  while (s->step()) out.push_back(Takedown{s->blob(0), s->text(1), s->int64(2)});
  return out;
}

bool SqliteMetaStore::is_taken_down(const std::string& sha256) {
  Lease c(*this);
  sqlite::Use s(c->prepare("SELECT 1 FROM takedowns WHERE sha256 = ?"));
  s->bind_blob(1, sha256);
  return s->step();
}

std::vector<AuditEntry> SqliteMetaStore::audit_log(size_t limit) {
  Lease c(*this);
  sqlite::Use s(c->prepare("SELECT at_ms, action, sha256, detail FROM audit_log ORDER BY id DESC LIMIT ?"));
  s->bind(1, static_cast<int64_t>(limit));
  std::vector<AuditEntry> out;
  while (s->step()) out.push_back(AuditEntry{s->int64(0), s->text(1), s->blob(2), s->text(3)});
  return out;
}

std::vector<ObjectSummary> SqliteMetaStore::list_objects(int64_t bucket_id, const std::string& after,
                                                         bool inclusive, const std::string& prefix,
                                                         size_t limit) {
  Lease c(*this);
  // substr() on a BLOB cast compares bytes, so the prefix test is exact for any UTF-8 key.
  sqlite::Use s(c->prepare(inclusive ? "SELECT key, size, etag, modified_ms FROM objects WHERE bucket_id = ?1 "
                                       "AND key >= ?2 AND key >= ?3 ORDER BY key LIMIT ?4"
                                     : "SELECT key, size, etag, modified_ms FROM objects WHERE bucket_id = ?1 "
                                       "AND key > ?2 AND key >= ?3 ORDER BY key LIMIT ?4"));
  s->bind(1, bucket_id).bind(2, after).bind(3, prefix).bind(4, static_cast<int64_t>(limit));
  std::vector<ObjectSummary> out;
  while (s->step()) {
    std::string key = s->text(0);
    if (key.compare(0, prefix.size(), prefix) != 0) break;  // past the prefix range
    out.push_back(ObjectSummary{std::move(key), s->int64(1), s->text(2), s->int64(3)});
  }
  return out;
}

bool SqliteMetaStore::set_object_acl(int64_t bucket_id, const std::string& key, const std::string& acl) {
  Lease c(*this);
  std::lock_guard lock(write_mu_);
  sqlite::Use s(c->prepare("UPDATE objects SET acl = ? WHERE bucket_id = ? AND key = ?"));
  s->bind(1, acl).bind(2, bucket_id).bind(3, key).run();
  return c->changes() > 0;
}

void SqliteMetaStore::set_bucket_acl(int64_t bucket_id, const std::string& acl) {
  Lease c(*this);
  std::lock_guard lock(write_mu_);
  sqlite::Use(c->prepare("UPDATE buckets SET acl = ? WHERE id = ?"))->bind(1, acl).bind(2, bucket_id).run();
}

std::unique_ptr<WriteTxn> SqliteMetaStore::write(bool durable) { return std::make_unique<SqliteWriteTxn>(*this, durable); }

bool SqliteMetaStore::blob_is_live(const std::string& sha256) {
  Lease c(*this);
  sqlite::Use s(c->prepare("SELECT 1 FROM blobs WHERE sha256 = ? AND state = 1 AND refcount > 0"));
  s->bind_blob(1, sha256);
  return s->step();
}

std::vector<BlobRecord> SqliteMetaStore::gc_candidates(int64_t zero_cutoff_ms, int64_t pending_cutoff_ms,
                                                       int64_t claim_cutoff_ms, size_t limit) {
  Lease c(*this);
  sqlite::Use s(c->prepare(std::string(sqlite_rows::kBlobColumns) +
                           "WHERE (refcount = 0 AND state = 1 AND zero_since_ms <= ?1) OR "
                           "(state = 0 AND state_ms <= ?2) OR (state = 2 AND state_ms <= ?3) LIMIT ?4"));
  s->bind(1, zero_cutoff_ms).bind(2, pending_cutoff_ms).bind(3, claim_cutoff_ms).bind(4, static_cast<int64_t>(limit));
  std::vector<BlobRecord> out;
  while (s->step()) out.push_back(sqlite_rows::read_blob(*s));
  return out;
}

PoolStats SqliteMetaStore::stats() {
  Lease c(*this);
  // One read transaction so the figures are consistent with each other.
  c->exec("BEGIN");
  PoolStats st;
  try {
    auto scalar2 = [&](const char* sql, int64_t& a, int64_t& b) {
      sqlite::Use s(c->prepare(sql));
      s->step();
      a = s->int64(0);
      b = s->int64(1);
    };
    int64_t unused = 0;
    scalar2("SELECT COUNT(*), 0 FROM tenants", st.tenants, unused);
    scalar2("SELECT COUNT(*), 0 FROM buckets", st.buckets, unused);
    scalar2("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM objects", st.objects, st.logical_bytes);
    scalar2("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM blobs WHERE state <> 0", st.blobs, st.physical_bytes);
    scalar2("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM blobs WHERE state <> 0 AND refcount = 0",
            st.reclaimable_blobs, st.reclaimable_bytes);
    const std::string counters = std::string("SELECT COALESCE((SELECT value FROM counters WHERE name = '") +
                                 kCounterUploadsSkipped + "'), 0), COALESCE((SELECT value FROM counters WHERE name = '" +
                                 kCounterUploadBytesSkipped + "'), 0)";
    scalar2(counters.c_str(), st.uploads_skipped, st.upload_bytes_skipped);
  } catch (...) {
    c->exec("ROLLBACK");
    throw;
  }
  c->exec("COMMIT");
  return st;
}

}  // namespace herd

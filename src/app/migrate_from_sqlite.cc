#include "app/migrate_from_sqlite.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "meta/postgres.h"
#include "meta/postgres_meta_store.h"
#include "meta/sqlite.h"
#include "meta/sqlite_meta_store.h"

namespace herd {

namespace {

// A table and its columns, as both backends name them; `bytes` columns are BYTEA in PostgreSQL.
struct Table {
  const char* name;
  std::vector<const char*> columns;
  std::vector<const char*> bytes;
};

// In reference order (rows point only at tables copied before them).
const std::vector<Table> kTables = {
    {"tenants", {"id", "name", "access_key", "secret_key", "created_ms"}, {}},
    {"buckets", {"id", "name", "tenant_id", "created_ms", "acl"}, {}},
    {"blobs", {"sha256", "size", "refcount", "zero_since_ms", "pack", "pack_offset", "state", "state_ms", "md5"},
     {"sha256", "md5"}},
    {"objects",
     {"bucket_id", "key", "sha256", "size", "etag", "modified_ms", "content_type", "cache_control",
      "content_disposition", "content_encoding", "user_meta", "acl", "checksum_algorithm", "checksum", "part_sizes",
      "expires"},
     {"key", "sha256"}},
    {"multipart_uploads", {"upload_id", "bucket_id", "key", "meta", "checksum_type", "created_ms"}, {"key"}},
    {"multipart_parts", {"upload_id", "part_number", "size", "etag", "checksum", "staged", "modified_ms"}, {}},
    {"completed_multiparts",
     {"upload_id", "bucket_id", "key", "parts", "etag", "checksum_algorithm", "checksum", "checksum_type",
      "completed_ms"},
     {"key"}},
    {"counters", {"name", "value"}, {}},
    {"tenant_usage", {"tenant_id", "objects", "logical_bytes", "quota_objects", "quota_bytes"}, {}},
    {"takedowns", {"sha256", "reason", "created_ms"}, {"sha256"}},
    {"audit_log", {"id", "at_ms", "action", "sha256", "detail"}, {"sha256"}},
};

// Holds an exclusive lock file of the data directory (the one `herd serve`, or `herd gc`, holds).
class DirLock {
 public:
  DirLock(const std::string& path, const char* who) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      throw std::runtime_error(std::string(who) + " is using the data directory (" + path + "): stop it first");
    }
  }
  ~DirLock() { ::close(fd_); }
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  int fd_ = -1;
};

bool is_bytes(const Table& t, const std::string& column) {
  for (const char* b : t.bytes)
    if (column == b) return true;
  return false;
}

}  // namespace

MigrationReport migrate_from_sqlite(const std::string& data_dir, const std::string& postgres_url,
                                    const MigrationProgress& progress) {
  const std::string db = data_dir + "/herd.db";
  struct stat st;
  if (::stat(db.c_str(), &st) != 0) throw std::runtime_error("no embedded pool at " + data_dir + " (" + db + " is missing)");
  DirLock serving(data_dir + "/serve.lock", "a herd server");
  DirLock collecting(data_dir + "/gc.lock", "herd gc");
  SqliteMetaStore(db).stats();                  // brings an older database up to the current schema
  PostgresMetaStore(postgres_url, 1).stats();  // creates the schema in the target

  sqlite::Connection from(db, 5000);
  pg::Connection to(postgres_url);
  pg::Transaction tx(to);
  auto rows = to.query("SELECT (SELECT count(*) FROM tenants) + (SELECT count(*) FROM blobs) + "
                       "(SELECT count(*) FROM buckets)");
  if (rows.int64(0, 0) != 0)
    throw std::runtime_error("the PostgreSQL database already holds a pool: migrate only into an empty one");

  MigrationReport report;
  for (const Table& t : kTables) {
    std::string list, placeholders;
    for (size_t i = 0; i < t.columns.size(); ++i) {
      list += (i ? ", " : "") + std::string(t.columns[i]);
      placeholders += (i ? ",$" : "$") + std::to_string(i + 1);
    }
    sqlite::Use count(from.prepare(std::string("SELECT count(*) FROM ") + t.name));
    count->step();
    const int64_t total = count->int64(0);
    const std::string insert = std::string("INSERT INTO ") + t.name + "(" + list + ") VALUES(" + placeholders + ")";
    sqlite::Use select(from.prepare("SELECT " + list + " FROM " + t.name));
    int64_t done = 0;
    std::vector<pg::Param> params(t.columns.size());
    while (select->step()) {
      for (size_t i = 0; i < t.columns.size(); ++i) {
        const int col = static_cast<int>(i);
        if (select->is_null(col)) params[i] = pg::null();
        else if (is_bytes(t, t.columns[i])) params[i] = pg::bytea(select->blob(col));
        else params[i] = pg::param(select->text(col));
      }
      to.query(insert, params);
      if (++done % 1000 == 0 && progress) progress(t.name, done, total);
    }
    if (progress) progress(t.name, done, total);
    report.emplace_back(t.name, done);
  }
  // New tenants, buckets and audit entries get ids after the copied ones.
  for (const char* table : {"tenants", "buckets", "audit_log"})
    to.query(std::string("SELECT setval(pg_get_serial_sequence('") + table + "', 'id'), "
             "GREATEST((SELECT max(id) FROM " + table + "), 1), (SELECT max(id) FROM " + table + ") IS NOT NULL)");
  tx.commit();
  return report;
}

}  // namespace herd

// SqliteMetaStore: the queries and repairs behind `herd fsck`.
#include "meta/sqlite_meta_store.h"
#include "meta/sqlite_rows.h"
#include "util/clock.h"

namespace herd {

std::vector<BlobRecord> SqliteMetaStore::list_blobs(const std::string& after, size_t limit) {
  Lease c(*this);
  sqlite::Use s(c->prepare(std::string(sqlite_rows::kBlobColumns) + "WHERE sha256 > ? ORDER BY sha256 LIMIT ?"));
  s->bind_blob(1, after).bind(2, static_cast<int64_t>(limit));
  std::vector<BlobRecord> out;
  while (s->step()) out.push_back(sqlite_rows::read_blob(*s));
  return out;
}

std::optional<BlobRecord> SqliteMetaStore::get_blob(const std::string& sha256) {
  Lease c(*this);
  sqlite::Use s(c->prepare(std::string(sqlite_rows::kBlobColumns) + "WHERE sha256 = ?"));
  s->bind_blob(1, sha256);
  if (!s->step()) return std::nullopt;
  return sqlite_rows::read_blob(*s);
}

std::optional<std::pair<int64_t, int64_t>> SqliteMetaStore::check_refcount(const std::string& sha256, bool repair) {
  Lease c(*this);
  std::lock_guard lock(write_mu_);
  sqlite::Transaction tx(*c);
  int64_t stored = 0, actual = 0;
  {
    sqlite::Use s(c->prepare("SELECT refcount FROM blobs WHERE sha256 = ?"));
    s->bind_blob(1, sha256);
    if (!s->step()) return std::nullopt;
    stored = s->int64(0);
  }
  {
    sqlite::Use s(c->prepare("SELECT COUNT(*) FROM objects WHERE sha256 = ?"));
    s->bind_blob(1, sha256);
    s->step();
    actual = s->int64(0);
  }
  if (stored == actual) return std::nullopt;
  if (repair) {
    sqlite::Use(c->prepare("UPDATE blobs SET refcount = ?, zero_since_ms = CASE WHEN ? = 0 THEN "
                           "COALESCE(zero_since_ms, ?) ELSE NULL END WHERE sha256 = ?"))
        ->bind(1, actual)
        .bind(2, actual)
        .bind(3, now_ms())
        .bind_blob(4, sha256)
        .run();
    tx.commit();
  }
  return std::make_pair(stored, actual);
}

std::vector<std::string> SqliteMetaStore::dangling_blob_references() {
  Lease c(*this);
  sqlite::Use s(c->prepare(
      "SELECT DISTINCT o.sha256 FROM objects o LEFT JOIN blobs b ON o.sha256 = b.sha256 WHERE b.sha256 IS NULL"));
  std::vector<std::string> out;
  while (s->step()) out.push_back(s->blob(0));
  return out;
}

bool SqliteMetaStore::adopt_blob(const std::string& sha256, const std::function<std::optional<int64_t>()>& adopt) {
  Lease c(*this);
  std::lock_guard lock(write_mu_);
  sqlite::Transaction tx(*c);
  {
    sqlite::Use s(c->prepare("SELECT 1 FROM blobs WHERE sha256 = ?"));
    s->bind_blob(1, sha256);
    if (s->step()) return true;
  }
  int64_t refs = 0;
  {
    sqlite::Use s(c->prepare("SELECT COUNT(*) FROM objects WHERE sha256 = ?"));
    s->bind_blob(1, sha256);
    s->step();
    refs = s->int64(0);
  }
  auto size = adopt();
  if (!size || refs == 0) {
    tx.commit();
    return false;
  }
  sqlite::Use(c->prepare("INSERT INTO blobs(sha256, size, refcount, zero_since_ms) VALUES(?,?,?,NULL)"))
      ->bind_blob(1, sha256)
      .bind(2, *size)
      .bind(3, refs)
      .run();
  tx.commit();
  return true;
}

std::vector<std::string> SqliteMetaStore::staged_handles() {
  Lease c(*this);
  sqlite::Use s(c->prepare("SELECT staged FROM multipart_parts"));
  std::vector<std::string> out;
  while (s->step()) out.push_back(s->text(0));
  return out;
}

}  // namespace herd

// SqliteMetaStore: multipart uploads and their parts, and the records of completed uploads.
#include "meta/row_codecs.h"
#include "meta/sqlite_meta_store.h"
#include "util/clock.h"

namespace herd {

namespace {

constexpr const char* kUploadColumns =
    "SELECT upload_id, bucket_id, key, meta, checksum_type, created_ms FROM multipart_uploads ";

MultipartUpload read_upload(sqlite::Statement& s) {
  return MultipartUpload{s.text(0), s.int64(1), s.text(2), decode_object_meta(s.text(3)), s.text(4), s.int64(5)};
}

bool upload_exists(sqlite::Connection& c, const std::string& upload_id) {
  sqlite::Use s(c.prepare("SELECT 1 FROM multipart_uploads WHERE upload_id = ?"));
  s->bind(1, upload_id);
  return s->step();
}

}  // namespace

void SqliteMetaStore::create_multipart(const MultipartUpload& u) {
  Lease c(*this);
  std::lock_guard lock(write_mu_);
  sqlite::Use(c->prepare("INSERT INTO multipart_uploads(upload_id, bucket_id, key, meta, checksum_type, created_ms) "
                         "VALUES(?,?,?,?,?,?)"))
      ->bind(1, u.upload_id)
      .bind(2, u.bucket_id)
      .bind(3, u.key)
      .bind(4, encode_object_meta(u.meta))
      .bind(5, u.checksum_type)
      .bind(6, u.created_ms)
      .run();
}

std::optional<MultipartUpload> SqliteMetaStore::get_multipart(const std::string& upload_id) {
  Lease c(*this);
  sqlite::Use s(c->prepare(std::string(kUploadColumns) + "WHERE upload_id = ?"));
  s->bind(1, upload_id);
  if (!s->step()) return std::nullopt;
  return read_upload(*s);
}

std::optional<std::string> SqliteMetaStore::put_part(const PartRecord& p) {
  Lease c(*this);
  std::lock_guard lock(write_mu_);
  sqlite::Transaction tx(*c);
  if (!upload_exists(*c, p.upload_id)) throw NoSuchUploadError();
  std::optional<std::string> replaced;
  {
    sqlite::Use s(c->prepare("SELECT staged FROM multipart_parts WHERE upload_id = ? AND part_number = ?"));
    s->bind(1, p.upload_id).bind(2, p.part_number);
    if (s->step()) replaced = s->text(0);
  }
  sqlite::Use(c->prepare("INSERT OR REPLACE INTO multipart_parts(upload_id, part_number, size, etag, checksum, "
                         "staged, modified_ms) VALUES(?,?,?,?,?,?,?)"))
      ->bind(1, p.upload_id)
      .bind(2, p.part_number)
      .bind(3, p.size)
      .bind(4, p.etag)
      .bind(5, p.checksum)
      .bind(6, p.staged)
      .bind(7, p.modified_ms)
      .run();
  tx.commit();
  return replaced;
}

std::vector<PartRecord> SqliteMetaStore::list_parts(const std::string& upload_id, int after_part, size_t limit) {
  Lease c(*this);
  sqlite::Use s(c->prepare(
      "SELECT part_number, size, etag, checksum, staged, modified_ms FROM multipart_parts "
      "WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?"));
  s->bind(1, upload_id).bind(2, after_part).bind(3, static_cast<int64_t>(limit));
  std::vector<PartRecord> out;
  while (s->step())
    out.push_back(PartRecord{upload_id, static_cast<int>(s->int64(0)), s->int64(1), s->text(2), s->text(3), s->text(4),
                             s->int64(5)});
  return out;
}

std::vector<MultipartUpload> SqliteMetaStore::list_multiparts(int64_t bucket_id, const std::string& prefix,
                                                              const std::string& key_marker,
                                                              const std::string& upload_id_marker, size_t limit) {
  Lease c(*this);
  sqlite::Use s(c->prepare(std::string(kUploadColumns) +
                           "WHERE bucket_id = ?1 AND key >= ?2 AND (key > ?3 OR (key = ?3 AND upload_id > ?4)) "
                           "ORDER BY key, upload_id LIMIT ?5"));
  s->bind(1, bucket_id).bind(2, prefix).bind(3, key_marker).bind(4, upload_id_marker).bind(5, static_cast<int64_t>(limit));
  std::vector<MultipartUpload> out;
  while (s->step()) {
    MultipartUpload u = read_upload(*s);
    if (u.key.compare(0, prefix.size(), prefix) != 0) break;
    out.push_back(std::move(u));
  }
  return out;
}

std::vector<MultipartUpload> SqliteMetaStore::multiparts_before(int64_t cutoff_ms, size_t limit) {
  Lease c(*this);
  sqlite::Use s(c->prepare(std::string(kUploadColumns) + "WHERE created_ms < ? ORDER BY created_ms LIMIT ?"));
  s->bind(1, cutoff_ms).bind(2, static_cast<int64_t>(limit));
  std::vector<MultipartUpload> out;
  while (s->step()) out.push_back(read_upload(*s));
  return out;
}

std::vector<std::string> SqliteMetaStore::delete_multipart_locked(sqlite::Connection& c, const std::string& upload_id) {
  if (!upload_exists(c, upload_id)) throw NoSuchUploadError();
  std::vector<std::string> staged;
  {
    sqlite::Use s(c.prepare("SELECT staged FROM multipart_parts WHERE upload_id = ?"));
    s->bind(1, upload_id);
    while (s->step()) staged.push_back(s->text(0));
  }
  sqlite::Use(c.prepare("DELETE FROM multipart_parts WHERE upload_id = ?"))->bind(1, upload_id).run();
  sqlite::Use(c.prepare("DELETE FROM multipart_uploads WHERE upload_id = ?"))->bind(1, upload_id).run();
  return staged;
}

std::vector<std::string> SqliteMetaStore::delete_multipart(const std::string& upload_id) {
  Lease c(*this);
  std::lock_guard lock(write_mu_);
  sqlite::Transaction tx(*c);
  auto staged = delete_multipart_locked(*c, upload_id);
  tx.commit();
  return staged;
}

std::optional<CompletedUpload> SqliteMetaStore::get_completed_multipart(const std::string& upload_id) {
  Lease c(*this);
  sqlite::Use s(c->prepare(
      "SELECT upload_id, bucket_id, key, parts, etag, checksum_algorithm, checksum, checksum_type, completed_ms "
      "FROM completed_multiparts WHERE upload_id = ?"));
  s->bind(1, upload_id);
  if (!s->step()) return std::nullopt;
  return CompletedUpload{s->text(0), s->int64(1), s->text(2), s->text(3), s->text(4),
                         s->text(5), s->text(6), s->text(7), s->int64(8)};
}

int64_t SqliteMetaStore::forget_completed_multiparts(int64_t cutoff_ms) {
  Lease c(*this);
  std::lock_guard lock(write_mu_);
  sqlite::Use(c->prepare("DELETE FROM completed_multiparts WHERE completed_ms < ?"))->bind(1, cutoff_ms).run();
  return c->changes();
}

}  // namespace herd

// PostgresMetaStore: multipart uploads and their parts, and the records of completed uploads.
#include "meta/postgres_meta_store.h"
#include "meta/row_codecs.h"

namespace herd {

using pg::param;

namespace {

constexpr const char* kUploadColumns =
    "SELECT upload_id, bucket_id, key, meta, checksum_type, created_ms FROM multipart_uploads ";

MultipartUpload read_upload(const pg::Result& r, int i) {
  return MultipartUpload{r.text(i, 0), r.int64(i, 1), r.bytes(i, 2), decode_object_meta(r.text(i, 3)), r.text(i, 4),
                         r.int64(i, 5)};
}

bool upload_exists(pg::Connection& c, const std::string& upload_id) {
  return !c.query("SELECT 1 FROM multipart_uploads WHERE upload_id = $1", {param(upload_id)}).empty();
}

}  // namespace

void PostgresMetaStore::create_multipart(const MultipartUpload& u) {
  Lease c(*this);
  Writing tx(*c);
  c->query("INSERT INTO multipart_uploads(upload_id, bucket_id, key, meta, checksum_type, created_ms) "
           "VALUES($1,$2,$3,$4,$5,$6)",
           {param(u.upload_id), param(u.bucket_id), pg::bytea(u.key), param(encode_object_meta(u.meta)),
            param(u.checksum_type), param(u.created_ms)});
  tx.commit();
}

std::optional<MultipartUpload> PostgresMetaStore::get_multipart(const std::string& upload_id) {
  Lease c(*this);
  auto r = c->query(std::string(kUploadColumns) + "WHERE upload_id = $1", {param(upload_id)});
  if (r.empty()) return std::nullopt;
  return read_upload(r, 0);
}

std::optional<std::string> PostgresMetaStore::put_part(const PartRecord& p) {
  Lease c(*this);
  Writing tx(*c);
  if (!upload_exists(*c, p.upload_id)) throw NoSuchUploadError();
  std::optional<std::string> replaced;
  auto old = c->query("SELECT staged FROM multipart_parts WHERE upload_id = $1 AND part_number = $2",
                      {param(p.upload_id), param(static_cast<int64_t>(p.part_number))});
  if (!old.empty()) replaced = old.text(0, 0);
  c->query("INSERT INTO multipart_parts(upload_id, part_number, size, etag, checksum, staged, modified_ms) "
           "VALUES($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (upload_id, part_number) DO UPDATE SET size = EXCLUDED.size, "
           "etag = EXCLUDED.etag, checksum = EXCLUDED.checksum, staged = EXCLUDED.staged, "
           "modified_ms = EXCLUDED.modified_ms",
           {param(p.upload_id), param(static_cast<int64_t>(p.part_number)), param(p.size), param(p.etag),
            param(p.checksum), param(p.staged), param(p.modified_ms)});
  tx.commit();
  return replaced;
}

std::vector<PartRecord> PostgresMetaStore::list_parts(const std::string& upload_id, int after_part, size_t limit) {
  Lease c(*this);
  auto r = c->query(
      "SELECT part_number, size, etag, checksum, staged, modified_ms FROM multipart_parts "
      "WHERE upload_id = $1 AND part_number > $2 ORDER BY part_number LIMIT $3",
      {param(upload_id), param(static_cast<int64_t>(after_part)), param(static_cast<int64_t>(limit))});
  std::vector<PartRecord> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back(PartRecord{upload_id, static_cast<int>(r.int64(i, 0)), r.int64(i, 1), r.text(i, 2), r.text(i, 3),
                             r.text(i, 4), r.int64(i, 5)});
  return out;
}

std::vector<MultipartUpload> PostgresMetaStore::list_multiparts(int64_t bucket_id, const std::string& prefix,
                                                                const std::string& key_marker,
                                                                const std::string& upload_id_marker, size_t limit) {
  Lease c(*this);
  auto r = c->query(std::string(kUploadColumns) +
                        "WHERE bucket_id = $1 AND key >= $2 AND (key > $3 OR (key = $3 AND upload_id > $4)) "
                        "ORDER BY key, upload_id LIMIT $5",
                    {param(bucket_id), pg::bytea(prefix), pg::bytea(key_marker), param(upload_id_marker),
                     param(static_cast<int64_t>(limit))});
  std::vector<MultipartUpload> out;
  for (int i = 0; i < r.rows(); ++i) {
    MultipartUpload u = read_upload(r, i);
    if (u.key.compare(0, prefix.size(), prefix) != 0) break;
    out.push_back(std::move(u));
  }
  return out;
}

std::vector<MultipartUpload> PostgresMetaStore::multiparts_before(int64_t cutoff_ms, size_t limit) {
  Lease c(*this);
  auto r = c->query(std::string(kUploadColumns) + "WHERE created_ms < $1 ORDER BY created_ms LIMIT $2",
                    {param(cutoff_ms), param(static_cast<int64_t>(limit))});
  std::vector<MultipartUpload> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(read_upload(r, i));
  return out;
}

std::vector<std::string> PostgresMetaStore::delete_multipart_locked(pg::Connection& c, const std::string& upload_id) {
  if (!upload_exists(c, upload_id)) throw NoSuchUploadError();
  auto r = c.query("DELETE FROM multipart_parts WHERE upload_id = $1 RETURNING staged", {param(upload_id)});
  std::vector<std::string> staged;
  for (int i = 0; i < r.rows(); ++i) staged.push_back(r.text(i, 0));
  c.query("DELETE FROM multipart_uploads WHERE upload_id = $1", {param(upload_id)});
  return staged;
}

std::vector<std::string> PostgresMetaStore::delete_multipart(const std::string& upload_id) {
  Lease c(*this);
  Writing tx(*c);
  auto staged = delete_multipart_locked(*c, upload_id);
  tx.commit();
  return staged;
}

std::optional<CompletedUpload> PostgresMetaStore::get_completed_multipart(const std::string& upload_id) {
  Lease c(*this);
  auto r = c->query(
      "SELECT upload_id, bucket_id, key, parts, etag, checksum_algorithm, checksum, checksum_type, completed_ms "
      "FROM completed_multiparts WHERE upload_id = $1",
      {param(upload_id)});
  if (r.empty()) return std::nullopt;
  return CompletedUpload{r.text(0, 0), r.int64(0, 1), r.bytes(0, 2), r.text(0, 3), r.text(0, 4),
                         r.text(0, 5), r.text(0, 6), r.text(0, 7), r.int64(0, 8)};
}

int64_t PostgresMetaStore::forget_completed_multiparts(int64_t cutoff_ms) {
  Lease c(*this);
  Writing tx(*c);
  auto r = c->query("DELETE FROM completed_multiparts WHERE completed_ms < $1", {param(cutoff_ms)});
  tx.commit();
  return r.affected();
}

std::vector<std::string> PostgresMetaStore::staged_handles() {
  Lease c(*this);
  auto r = c->query("SELECT staged FROM multipart_parts");
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(r.text(i, 0));
  return out;
}

}  // namespace herd

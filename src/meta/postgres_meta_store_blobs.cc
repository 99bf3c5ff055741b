// PostgresMetaStore: blob rows, the queries behind GC and pack compaction, and fsck's checks.
#include "meta/postgres_meta_store.h"
#include "meta/postgres_rows.h"
#include "util/clock.h"

namespace herd {

using pg::bytea;
using pg::param;
using postgres_rows::kBlobColumns;
using postgres_rows::read_blob;

std::optional<BlobRecord> PostgresMetaStore::get_blob(const std::string& sha256) {
  Lease c(*this);
  auto r = c->query(std::string(kBlobColumns) + "WHERE sha256 = $1", {bytea(sha256)});
  if (r.empty()) return std::nullopt;
  return read_blob(r, 0);
}

std::optional<BlobLocation> PostgresMetaStore::blob_location(const std::string& sha256) {
  Lease c(*this);
  auto r = c->query("SELECT pack, pack_offset FROM blobs WHERE sha256 = $1", {bytea(sha256)});
  if (r.empty()) return std::nullopt;
  return postgres_rows::read_location(r, 0, 0);
}

std::vector<BlobRecord> PostgresMetaStore::list_blobs(const std::string& after, size_t limit) {
  Lease c(*this);
  auto r = c->query(std::string(kBlobColumns) + "WHERE sha256 > $1 ORDER BY sha256 LIMIT $2",
                    {bytea(after), param(static_cast<int64_t>(limit))});
  std::vector<BlobRecord> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(read_blob(r, i));
  return out;
}

std::vector<BlobRecord> PostgresMetaStore::gc_candidates(int64_t zero_cutoff_ms, int64_t pending_cutoff_ms,
                                                         int64_t claim_cutoff_ms, size_t limit) {
  Lease c(*this);
  auto r = c->query(std::string(kBlobColumns) +
                        "WHERE (refcount = 0 AND state = 1 AND zero_since_ms <= $1) OR "
                        "(state = 0 AND state_ms <= $2) OR (state = 2 AND state_ms <= $3) LIMIT $4",
                    {param(zero_cutoff_ms), param(pending_cutoff_ms), param(claim_cutoff_ms),
                     param(static_cast<int64_t>(limit))});
  std::vector<BlobRecord> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(read_blob(r, i));
  return out;
}

std::vector<PackUsage> PostgresMetaStore::pack_usage() {
  Lease c(*this);
  auto r = c->query("SELECT pack, SUM(size), COUNT(*) FROM blobs WHERE pack IS NOT NULL AND refcount > 0 GROUP BY pack");
  std::vector<PackUsage> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(PackUsage{r.int64(i, 0), r.int64(i, 1), r.int64(i, 2)});
  return out;
}

std::vector<PackedBlob> PostgresMetaStore::packed_blobs(int64_t pack) {
  Lease c(*this);
  auto r = c->query("SELECT sha256, size, pack_offset FROM blobs WHERE pack = $1 AND refcount > 0", {param(pack)});
  std::vector<PackedBlob> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back(PackedBlob{r.bytes(i, 0), r.int64(i, 1), BlobLocation{pack, r.int64(i, 2)}});
  return out;
}

void PostgresMetaStore::relocate_blobs(const std::vector<std::pair<PackedBlob, BlobLocation>>& moves) {
  Lease c(*this);
  Writing tx(*c);
  for (const auto& [blob, to] : moves)
    c->query("UPDATE blobs SET pack = $1, pack_offset = $2 WHERE sha256 = $3 AND pack = $4 AND pack_offset = $5",
             {param(to.pack), param(to.offset), bytea(blob.sha256), param(blob.location.pack),
              param(blob.location.offset)});
  tx.commit();
}

bool PostgresMetaStore::forget_pack(int64_t pack) {
  Lease c(*this);
  Writing tx(*c);
  if (!c->query("SELECT 1 FROM blobs WHERE pack = $1 AND refcount > 0 LIMIT 1", {param(pack)}).empty()) return false;
  // Rows at zero references (or being deleted) go with the pack's bytes (as in SQLite's store).
  c->query("DELETE FROM blobs WHERE pack = $1", {param(pack)});
  tx.commit();
  return true;
}

std::optional<std::pair<int64_t, int64_t>> PostgresMetaStore::check_refcount(const std::string& sha256, bool repair) {
  Lease c(*this);
  Writing tx(*c);
  auto stored_r = c->query("SELECT refcount FROM blobs WHERE sha256 = $1", {bytea(sha256)});
  if (stored_r.empty()) return std::nullopt;
  int64_t stored = stored_r.int64(0, 0);
  int64_t actual = c->query("SELECT COUNT(*) FROM objects WHERE sha256 = $1", {bytea(sha256)}).int64(0, 0);
  if (stored == actual) return std::nullopt;
  if (repair) {
    c->query("UPDATE blobs SET refcount = $1, zero_since_ms = CASE WHEN $1::bigint = 0 THEN "
             "COALESCE(zero_since_ms, $2) ELSE NULL END WHERE sha256 = $3",
             {param(actual), param(now_ms()), bytea(sha256)});
    tx.commit();
  }
  return std::make_pair(stored, actual);
}

void PostgresMetaStore::set_blob_location(const std::string& sha256, const BlobLocation& where) {
  Lease c(*this);
  Writing tx(*c);
  c->query("UPDATE blobs SET pack = $1, pack_offset = $2 WHERE sha256 = $3",
           {postgres_rows::pack_param(where), postgres_rows::offset_param(where), bytea(sha256)});
  tx.commit();
}

std::vector<std::string> PostgresMetaStore::dangling_blob_references() {
  Lease c(*this);
  auto r = c->query(
      "SELECT DISTINCT o.sha256 FROM objects o LEFT JOIN blobs b ON o.sha256 = b.sha256 WHERE b.sha256 IS NULL");
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(r.bytes(i, 0));
  return out;
}

bool PostgresMetaStore::adopt_blob(const std::string& sha256, const std::function<std::optional<int64_t>()>& adopt) {
  Lease c(*this);
  Writing tx(*c);
  if (!c->query("SELECT 1 FROM blobs WHERE sha256 = $1", {bytea(sha256)}).empty()) return true;
  int64_t refs = c->query("SELECT COUNT(*) FROM objects WHERE sha256 = $1", {bytea(sha256)}).int64(0, 0);
  auto size = adopt();
  if (!size || refs == 0) return false;
  c->query("INSERT INTO blobs(sha256, size, refcount, zero_since_ms) VALUES($1,$2,$3,NULL)",
           {bytea(sha256), param(*size), param(refs)});
  tx.commit();
  return true;
}

}  // namespace herd

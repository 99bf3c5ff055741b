// SqliteMetaStore: where blobs are, and the queries behind pack compaction.
#include "meta/sqlite_meta_store.h"

namespace herd {

std::optional<BlobLocation> SqliteMetaStore::blob_location(const std::string& sha256) {
  Lease c(*this);
  sqlite::Use s(c->prepare("SELECT pack, pack_offset FROM blobs WHERE sha256 = ?"));
  s->bind_blob(1, sha256);
  if (!s->step()) return std::nullopt;
  if (s->is_null(0)) return BlobLocation{};
  return BlobLocation{s->int64(0), s->int64(1)};
}

void SqliteMetaStore::set_blob_location(const std::string& sha256, const BlobLocation& where) {
  Lease c(*this);
  std::lock_guard lock(write_mu_);
  sqlite::Use s(c->prepare("UPDATE blobs SET pack = ?, pack_offset = ? WHERE sha256 = ?"));
  if (where.packed()) s->bind(1, where.pack).bind(2, where.offset);
  else s->bind_null(1).bind_null(2);
  s->bind_blob(3, sha256).run();
}

std::vector<PackUsage> SqliteMetaStore::pack_usage() {
  Lease c(*this);
  sqlite::Use s(c->prepare(
      "SELECT pack, SUM(size), COUNT(*) FROM blobs WHERE pack IS NOT NULL AND refcount > 0 GROUP BY pack"));
  std::vector<PackUsage> out;
  while (s->step()) out.push_back(PackUsage{s->int64(0), s->int64(1), s->int64(2)});
  return out;
}

std::vector<PackedBlob> SqliteMetaStore::packed_blobs(int64_t pack) {
  Lease c(*this);
  sqlite::Use s(c->prepare("SELECT sha256, size, pack_offset FROM blobs WHERE pack = ? AND refcount > 0"));
  s->bind(1, pack);
  std::vector<PackedBlob> out;
  while (s->step()) out.push_back(PackedBlob{s->blob(0), s->int64(1), BlobLocation{pack, s->int64(2)}});
  return out;
}

void SqliteMetaStore::relocate_blobs(const std::vector<std::pair<PackedBlob, BlobLocation>>& moves) {
  Lease c(*this);
  std::lock_guard lock(write_mu_);
  sqlite::Transaction tx(*c);
  sqlite::Use s(c->prepare(
      "UPDATE blobs SET pack = ?, pack_offset = ? WHERE sha256 = ? AND pack = ? AND pack_offset = ?"));
  for (const auto& [blob, to] : moves) {
    s->bind(1, to.pack)
        .bind(2, to.offset)
        .bind_blob(3, blob.sha256)
        .bind(4, blob.location.pack)
        .bind(5, blob.location.offset)
        .run();
    s->reset();
  }
  tx.commit();
}

bool SqliteMetaStore::forget_pack(int64_t pack) {
  Lease c(*this);
  std::lock_guard lock(write_mu_);
  sqlite::Transaction tx(*c);
  {
    sqlite::Use s(c->prepare("SELECT 1 FROM blobs WHERE pack = ? AND refcount > 0 LIMIT 1"));
    s->bind(1, pack);
    if (s->step()) return false;
  }
  // Rows at zero references (or being deleted) go with the pack's bytes: once committed, no row
  // names the pack, and none can come to (placements and moves go to unsealed packs only).
  sqlite::Use(c->prepare("DELETE FROM blobs WHERE pack = ?"))->bind(1, pack).run();
  tx.commit();
  return true;
}

}  // namespace herd

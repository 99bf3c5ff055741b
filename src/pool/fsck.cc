#include "pool/fsck.h"

#include <memory>
#include <set>

#include "util/digest.h"

namespace herd {

namespace {

// The SHA-256 and length of a blob's bytes; nullopt when absent.
std::optional<std::pair<std::string, int64_t>> hash_blob(BlobStore& blobs, const std::string& sha256,
                                                         const BlobLocation& where = {}) {
  auto reader = blobs.open(sha256, where);
  if (!reader) return std::nullopt;
  Digest digest(Digest::Algorithm::kSha256);
  constexpr size_t kChunk = 1 << 20;
  auto buf = std::make_unique<char[]>(kChunk);
  int64_t off = 0;
  while (true) {
    size_t n = reader->read(off, buf.get(), kChunk);
    if (n == 0) break;
    digest.update(buf.get(), n);
    off += static_cast<int64_t>(n);
  }
  return std::make_pair(digest.finish(), off);
}

}  // namespace

int64_t FsckReport::problems() const {
  int64_t found = corrupt_blobs + missing_blobs + wrong_refcounts + dangling_objects + orphan_blob_files +
                  stray_files + stale_temp_files + stale_staged_parts;
  return found - repaired;
}

FsckReport fsck(Pool& pool, const FsckOptions& o) {
  FsckReport r;
  MetaStore& meta = pool.meta();
  BlobStore& blobs = pool.blobs();
  const int64_t total = meta.stats().blobs;

  // 1. Every blob row: bytes present and intact, reference count right.
  std::string after;
  while (true) {
    auto batch = meta.list_blobs(after, 512);
    for (const auto& b : batch) {
      after = b.sha256;
      ++r.blobs_checked;
      if (auto diff = meta.check_refcount(b.sha256, o.repair)) {
        ++r.wrong_refcounts;
        if (o.repair) ++r.repaired;
      }
      auto actual = hash_blob(blobs, b.sha256, b.location);
      if (!actual) {
        // Without references the row only awaits GC, which forgets it.
        if (b.refcount > 0) {
          ++r.missing_blobs;
          if (o.repair && o.refetch && o.refetch(b)) ++r.repaired;
        }
      } else {
        r.bytes_checked += actual->second;
        if (actual->first != b.sha256 || actual->second != b.size) {
          ++r.corrupt_blobs;
          if (o.repair) {
            blobs.quarantine(b.sha256, b.location);
            // A pack record cannot be moved aside: the row stops naming it (the bytes are missing).
            if (b.location.packed()) meta.set_blob_location(b.sha256, {});
            ++r.repaired;
            if (b.refcount > 0 && o.refetch) o.refetch(b);  // the bytes back, if a peer has them
          }
        }
      }
      if (o.progress && r.blobs_checked % 1000 == 0) o.progress(r.blobs_checked, total);
    }
    if (batch.size() < 512) break;
  }
  if (o.progress) o.progress(r.blobs_checked, total);

  // 2. Objects pointing at digests without a blob row: rebuild the row if the bytes exist.
  for (const auto& sha : meta.dangling_blob_references()) {
    ++r.dangling_objects;
    if (!o.repair) continue;
    bool adopted = meta.adopt_blob(sha, [&]() -> std::optional<int64_t> {
      auto actual = hash_blob(blobs, sha);
      if (!actual || actual->first != sha) return std::nullopt;
      return actual->second;
    });
    if (adopted) ++r.repaired;
  }

  // 3. Blob files nothing describes. Checked again under the write lock before removal, so a
  //    concurrent upload placing the same bytes is never harmed.
  std::vector<std::string> strays;
  blobs.for_each_blob(
      [&](const std::string& sha) {
        if (meta.get_blob(sha)) return;
        ++r.orphan_blob_files;
        if (!o.repair) return;
        bool kept = meta.adopt_blob(sha, [&]() -> std::optional<int64_t> {
          auto actual = hash_blob(blobs, sha);
          if (actual && actual->first == sha) return actual->second;
          return std::nullopt;
        });
        if (!kept && !meta.get_blob(sha)) blobs.remove(sha);
        ++r.repaired;
      },
      [&](const std::string& path) { strays.push_back(path); });
  for (const auto& path : strays) {
    ++r.stray_files;
    if (o.repair) {
      blobs.remove_path(path);
      ++r.repaired;
    }
  }

  // 4. Leftover uploads and staged parts that no upload records.
  for (const auto& path : blobs.stale_temp_files(o.stale_after)) {
    ++r.stale_temp_files;
    if (o.repair) {
      blobs.remove_path(path);
      ++r.repaired;
    }
  }
  auto recorded = meta.staged_handles();
  std::set<std::string> in_use(recorded.begin(), recorded.end());
  for (const auto& handle : blobs.staged_older_than(o.stale_after)) {
    if (in_use.count(handle)) continue;
    ++r.stale_staged_parts;
    if (o.repair) {
      blobs.remove_staged(handle);
      ++r.repaired;
    }
  }
  return r;
}

}  // namespace herd

#pragma once
// BlobStore on a local directory:
//   <root>/blobs/<hex[0:2]>/<hex[2:4]>/<64-hex>   content-addressed blob files
//   <root>/tmp/                                    uploads in progress
//   <root>/staging/<handle>                        durable multipart parts
//   <root>/packs/<16-hex>.pack                      small blobs, appended (pack_format.h)
//   <root>/quarantine/<64-hex>                     blobs fsck found corrupt
// Shard directories are created lazily and made durable (parent fsync) when created.
// In-memory blobs (MemoryBlob) are packed; everything else gets a file of its own.
#include <string>

#include "blob/blob_store.h"
#include "blob/open_file_cache.h"
#include "blob/pack_writer.h"

namespace herd {

class DiskBlobStore : public BlobStore {
 public:
  // Creates <root>/blobs, tmp, staging and packs (mode 0700) if needed. A pack is sealed and a
  // new one started once it holds `max_pack_bytes`.
  explicit DiskBlobStore(std::string root, int64_t max_pack_bytes = kDefaultMaxPackBytes);
  static constexpr int64_t kDefaultMaxPackBytes = int64_t{64} << 20;
  ~DiskBlobStore() override;
  DiskBlobStore(const DiskBlobStore&) = delete;
  DiskBlobStore& operator=(const DiskBlobStore&) = delete;

  std::unique_ptr<TempBlob> create_temp() override;
  std::vector<BlobLocation> place_many(const std::vector<Placement>& blobs) override;
  void release_placed(const std::vector<BlobLocation>& placed) override { packs_.release(placed); }
  void remove(const std::string& sha256, const BlobLocation& where = {}) override;
  std::unique_ptr<BlobReader> open(const std::string& sha256, const BlobLocation& where = {}) override;
  size_t clear_temp() override;
  std::string stage(TempBlob& temp, const std::string& sha256) override;
  std::unique_ptr<BlobReader> open_staged(const std::string& handle) override;
  void remove_staged(const std::string& handle) override;
  void for_each_blob(const std::function<void(const std::string&)>& fn,
                     const std::function<void(const std::string& path)>& stray) override;
  void quarantine(const std::string& sha256, const BlobLocation& where = {}) override;
  std::vector<std::string> stale_temp_files(std::chrono::seconds age) override;
  std::vector<std::string> staged_older_than(std::chrono::seconds age) override;
  void remove_path(const std::string& path) override;
  std::vector<PackInfo> packs() override;
  std::vector<std::optional<BlobLocation>> repack(const std::vector<PackedBlob>& blobs) override;
  void delete_pack(int64_t id) override;

  // The final path of a blob (raw 32-byte digest).
  std::string path_of(const std::string& sha256) const;

 private:
  // Ensures the shard directory for `hex` exists and is durable; returns its path.
  std::string ensure_shard(const std::string& hex);
  // Renames a synced temp file into place; returns the directory to sync.
  std::string place_file(TempBlob& temp, const std::string& sha256);
  // The open pack file `id`, from the descriptor cache when possible; nullptr when absent.
  std::shared_ptr<const OpenFile> open_pack(int64_t id);

  std::string root_;
  std::string blobs_dir_;
  std::string tmp_dir_;
  std::string staging_dir_;
  std::string packs_dir_;
  PackWriter packs_;
  int blobs_fd_ = -1;  // the blobs directory, for openat()
  OpenFileCache open_files_;
};

}  // namespace herd

#pragma once
// BlobStore on a local directory:
//   <root>/blobs/<hex[0:2]>/<hex[2:4]>/<64-hex>   content-addressed blob files
//   <root>/tmp/                                    uploads in progress
//   <root>/staging/<handle>                        durable multipart parts
//   <root>/quarantine/<64-hex>                     blobs fsck found corrupt
// Shard directories are created lazily and made durable (parent fsync) when created.
#include <string>

#include "blob/blob_store.h"
#include "blob/open_file_cache.h"

namespace herd {

class DiskBlobStore : public BlobStore {
 public:
  // Creates <root>/blobs, <root>/tmp and <root>/staging (mode 0700) if needed.
  explicit DiskBlobStore(std::string root);
  ~DiskBlobStore() override;
  DiskBlobStore(const DiskBlobStore&) = delete;
  DiskBlobStore& operator=(const DiskBlobStore&) = delete;

  std::unique_ptr<TempBlob> create_temp() override;
  void place_many(const std::vector<Placement>& blobs) override;
  void remove(const std::string& sha256) override;
  std::unique_ptr<BlobReader> open(const std::string& sha256) override;
  size_t clear_temp() override;
  std::string stage(TempBlob& temp) override;
  std::unique_ptr<BlobReader> open_staged(const std::string& handle) override;
  void remove_staged(const std::string& handle) override;
  void for_each_blob(const std::function<void(const std::string&)>& fn,
                     const std::function<void(const std::string& path)>& stray) override;
  void quarantine(const std::string& sha256) override;
  std::vector<std::string> stale_temp_files(std::chrono::seconds age) override;
  std::vector<std::string> staged_older_than(std::chrono::seconds age) override;
  void remove_path(const std::string& path) override;

  // The final path of a blob (raw 32-byte digest).
  std::string path_of(const std::string& sha256) const;

 private:
  // Ensures the shard directory for `hex` exists and is durable; returns its path.
  std::string ensure_shard(const std::string& hex);

  std::string root_;
  std::string blobs_dir_;
  std::string tmp_dir_;
  std::string staging_dir_;
  int blobs_fd_ = -1;  // the blobs directory, for openat()
  OpenFileCache open_files_;
};

}  // namespace herd

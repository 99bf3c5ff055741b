#pragma once
// BlobStore on a bucket of an S3-compatible cluster (Ceph RGW, Garage, MinIO, …), shared by every
// node of a pool:
//   blobs/<64-hex>        content-addressed blobs, each PUT signed with its own SHA-256 (the
//                         backend rejects a corrupted body), If-None-Match: * so bytes already
//                         there are not replaced; multipart above [blobs] multipart_threshold
//   staging/<handle>      durable multipart parts (any node may complete an upload)
//   quarantine/<64-hex>   blobs fsck found corrupt
// and on the node's local disk:
//   <data_dir>/tmp/       uploads being received
//   <cache_dir>/          the hot cache (blob_cache.h); reads are verified against the digest
//                         while they are fetched, so the cache only ever holds the named bytes
// Nothing is packed: packs() is empty and repack/delete_pack have nothing to do. Backend faults
// throw Unavailable (util/unavailable.h) after retries. Thread-safe.
#include <memory>
#include <string>

#include "blob/blob_cache.h"
#include "blob/blob_options.h"
#include "blob/blob_store.h"
#include "s3client/client.h"

namespace herd {

class S3BlobStore : public BlobStore {
 public:
  // `local_dir` holds tmp/ (and cache/ unless options.cache_dir says otherwise). With
  // `use_cache` false (one-shot commands beside a running server) nothing is cached.
  S3BlobStore(const BlobOptions& options, const std::string& local_dir, bool use_cache);
  ~S3BlobStore() override;

  std::unique_ptr<TempBlob> create_temp() override;
  std::vector<BlobLocation> place_many(const std::vector<Placement>& blobs) override;
  void remove(const std::string& sha256, const BlobLocation& where = {}) override;
  std::unique_ptr<BlobReader> open(const std::string& sha256, const BlobLocation& where = {}) override;
  int concurrent_placements() const override { return 4; }
  std::optional<std::unique_ptr<BlobReader>> open_now(const std::string& sha256, const BlobLocation& where = {}) override;
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
  std::vector<PackInfo> packs() override { return {}; }
  std::vector<std::optional<BlobLocation>> repack(const std::vector<PackedBlob>& blobs) override {
    return std::vector<std::optional<BlobLocation>>(blobs.size());
  }
  void delete_pack(int64_t) override {}

  // The hot cache (for statistics and tests).
  const BlobCache& cache() const { return cache_; }

 private:
  // Uploads one blob's bytes (a TempFile or a MemoryBlob) to `key`, signed with `sha256_hex`.
  void upload(TempBlob& temp, const std::string& key, const std::string& sha256_hex, bool if_absent);

  const BlobOptions options_;
  const std::string tmp_dir_;
  s3client::Client client_;
  BlobCache cache_;
};

}  // namespace herd

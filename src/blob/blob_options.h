#pragma once
// Where a pool keeps its blobs ([blobs] in the config file): the data directory's disk, or a
// bucket of an S3-compatible cluster with a hot cache on each node. The defaults here are the
// documented ones (herd.example.toml).
#include <cstdint>
#include <string>

namespace herd {

struct BlobOptions {
  // [blobs] backend: "disk" (the embedded default: <data_dir>/blobs and packs) or "s3".
  std::string backend = "disk";
  // With "s3": the endpoint ("http(s)://host:port", path-style requests), bucket and region.
  std::string endpoint;
  std::string bucket = "herd-blobs";
  std::string region = "us-east-1";
  // Credentials ($HERD_BLOBS_ACCESS_KEY / $HERD_BLOBS_SECRET_KEY override the file).
  std::string access_key;
  std::string secret_key;
  // The node's hot cache of blobs ("" = <data_dir>/cache), capped at cache_bytes (LRU).
  std::string cache_dir;
  int64_t cache_bytes = int64_t{10} << 30;
  // Blobs larger than this are uploaded in parts of part_size bytes.
  int64_t multipart_threshold = int64_t{64} << 20;
  int64_t part_size = int64_t{16} << 20;
  // A backend request that has not finished in this long fails (the client gets 503).
  int64_t timeout_seconds = 60;
  bool operator==(const BlobOptions&) const = default;
};

}  // namespace herd

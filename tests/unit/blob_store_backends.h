#pragma once
// Test support: the blob backends the contract suite runs against, each opened fresh per test.
// "disk": a DiskBlobStore in the test's scratch directory. "s3": an S3BlobStore on the Ceph RGW
// that scripts/test-rgw.sh started, whose state directory is $HERD_TEST_SERVERS/rgw (endpoint,
// access_key, secret_key, bucket files), with its local tmp and cache in the scratch directory.
// Without $HERD_TEST_SERVERS (the runner started by hand) the s3 tests are skipped; with it, a
// backend that cannot be reached fails them.
#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "blob/blob_options.h"
#include "blob/disk_blob_store.h"
#include "blob/s3_blob_store.h"

namespace herd::testing_support {

inline const std::vector<std::string> kBlobBackends = {"disk", "s3"};

// The test RGW's [blobs] options, or nullopt without $HERD_TEST_SERVERS.
inline std::optional<BlobOptions> test_rgw_options() {
  const char* servers = std::getenv("HERD_TEST_SERVERS");
  if (!servers || !*servers) return std::nullopt;
  const std::string dir = std::string(servers) + "/rgw";
  auto read = [&](const char* name) {
    std::ifstream in(dir + "/" + name);
    std::string v;
    if (!std::getline(in, v) || v.empty())
      throw std::runtime_error("the test RGW's state has no " + std::string(name) + ": " + dir);
    return v;
  };
  BlobOptions o;
  o.backend = "s3";
  o.endpoint = read("endpoint");
  o.access_key = read("access_key");
  o.secret_key = read("secret_key");
  o.bucket = read("bucket");
  o.multipart_threshold = o.part_size = int64_t{5} << 20;  // the smallest, so tests reach multipart
  o.cache_bytes = int64_t{64} << 20;
  o.timeout_seconds = 10;
  return o;
}

class BlobBackend {
 public:
  BlobBackend(std::string name, std::string scratch) : name_(std::move(name)), scratch_(std::move(scratch)) {
    if (name_ == "s3") rgw_ = test_rgw_options();
  }
  bool available() const { return name_ != "s3" || rgw_.has_value(); }
  std::string why_unavailable() const { return "HERD_TEST_SERVERS is not set (ctest starts the test servers)"; }
  // A store (another node's, with its own local directory, when `node` differs) on this backend.
  std::unique_ptr<BlobStore> open(const std::string& node = "a") const {
    std::string local = scratch_ + "/" + node;
    if (name_ == "s3" && rgw_) return std::make_unique<S3BlobStore>(*rgw_, local, true);
    return std::make_unique<DiskBlobStore>(scratch_);
  }
  const std::optional<BlobOptions>& rgw() const { return rgw_; }

 private:
  std::string name_;
  std::string scratch_;
  std::optional<BlobOptions> rgw_;
};

}  // namespace herd::testing_support

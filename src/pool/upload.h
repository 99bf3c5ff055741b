#pragma once
// One incoming body: streamed into a temp blob while SHA-256 and MD5 are computed in one pass.
#include <cstdint>
#include <future>
#include <memory>
#include <string>

#include "blob/blob_store.h"
#include "pool/hash_lanes.h"
#include "util/digest.h"

namespace herd {

class Upload {
 public:
  // `max_size` bounds the body; append() past it throws TooLarge. With `lanes`, large chunks
  // are MD5-hashed on a lane thread while SHA-256 and the write run on the caller's.
  Upload(std::unique_ptr<TempBlob> temp, int64_t max_size, HashLanes* lanes = nullptr);
  ~Upload();

  struct TooLarge : std::runtime_error {
    TooLarge() : std::runtime_error("object too large") {}
  };

  // Hashes and writes the next bytes of the body. A large chunk's MD5 may still be running on a
  // lane when this returns (so the caller can receive the next chunk meanwhile): `data` must stay
  // unchanged until the next append(), settle() or finish() returns.
  void append(const char* data, size_t len);
  // Waits for MD5 work still running on a lane, so the caller may reuse its buffers.
  void settle();

  // Settles the upload when the scope it guards is left by an exception (before the buffers
  // declared ahead of it are freed); on the normal path, call settle() or finish() instead.
  class SettleOnUnwind {
   public:
    explicit SettleOnUnwind(Upload& upload) : upload_(upload), exceptions_(std::uncaught_exceptions()) {}
    ~SettleOnUnwind();

   private:
    Upload& upload_;
    int exceptions_;
  };
  // Ends the body and computes the digests; call once, before reading them.
  void finish();

  int64_t size() const { return size_; }
  const std::string& sha256() const { return sha256_; }  // raw 32 bytes, after finish()
  const std::string& md5() const { return md5_; }        // raw 16 bytes, after finish()
  TempBlob& temp() { return *temp_; }

 private:
  // Chunks at least this large are worth handing half their hashing to a lane.
  static constexpr size_t kLaneChunk = 128 * 1024;
  std::unique_ptr<TempBlob> temp_;
  int64_t max_size_;
  HashLanes* lanes_;
  std::future<void> lane_md5_;  // the MD5 of the previous large chunk, if still pending
  int64_t size_ = 0;
  Digest sha256_digest_{Digest::Algorithm::kSha256};
  Digest md5_digest_{Digest::Algorithm::kMd5};
  std::string sha256_;
  std::string md5_;
};

}  // namespace herd

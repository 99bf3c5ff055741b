#pragma once
// One incoming body: streamed into a temp blob while SHA-256 and MD5 are computed in one pass.
// A small body may be kept in memory instead (a MemoryBlob, which the store packs when placed).
#include <cstdint>
#include <future>
#include <memory>
#include <string>

#include "blob/blob_store.h"
#include "blob/memory_blob.h"
#include "pool/hash_lanes.h"
#include "util/digest.h"

namespace herd {

class Upload {
 public:
  // The body goes to a temp file of `store`, created at the first write. `max_size` bounds the
  // body; append() past it throws TooLarge. A body that expect() declares no larger than
  // `memory_limit` (0: none) is kept in memory, and moved to a file should it grow past that.
  // With `lanes`, large chunks are MD5-hashed on a lane thread while SHA-256 and the write run on
  // the caller's.
  Upload(BlobStore& store, int64_t max_size, int64_t memory_limit = 0, HashLanes* lanes = nullptr);
  ~Upload();

  // Declares the body's length before the first append(): small bodies are kept in memory.
  void expect(int64_t size);

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
  // True while the body is kept in memory (it will be packed, and needs no sync before that).
  bool in_memory() const { return memory_ != nullptr; }
  const std::string& sha256() const { return sha256_; }  // raw 32 bytes, after finish()
  const std::string& md5() const { return md5_; }        // raw 16 bytes, after finish()
  // The received bytes (an empty temp file when nothing was written or expected).
  TempBlob& temp();

 private:
  // Chunks at least this large are worth handing half their hashing to a lane.
  static constexpr size_t kLaneChunk = 128 * 1024;
  // Moves a body kept in memory into a temp file.
  void spill();

  BlobStore& store_;
  std::unique_ptr<TempBlob> temp_;  // null until the first write (or expect())
  MemoryBlob* memory_ = nullptr;    // temp_, while the body is kept in memory
  int64_t max_size_;
  int64_t memory_limit_;
  HashLanes* lanes_;
  std::future<void> lane_md5_;  // the MD5 of the previous large chunk, if still pending
  int64_t size_ = 0;
  Digest sha256_digest_{Digest::Algorithm::kSha256};
  Digest md5_digest_{Digest::Algorithm::kMd5};
  std::string sha256_;
  std::string md5_;
};

}  // namespace herd

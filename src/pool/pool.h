#pragma once
// The pool core: deduplicated put, delete, garbage collection and statistics, over a metadata
// store and a blob store. Protocol layers (S3, public web, CLI) call only this for writes.
// Thread-safe.
#include <cstdint>
#include <memory>
#include <string>

#include "blob/blob_store.h"
#include "meta/meta_store.h"
#include "pool/upload.h"

namespace herd {

// Result of one garbage collection pass.
struct GcReport {
  int64_t blobs_removed = 0;
  int64_t bytes_freed = 0;
};

class Pool {
 public:
  Pool(MetaStore& meta, BlobStore& blobs) : meta_(meta), blobs_(blobs) {}

  MetaStore& meta() { return meta_; }
  BlobStore& blobs() { return blobs_; }

  // Starts receiving a body of at most `max_size` bytes.
  std::unique_ptr<Upload> begin_upload(int64_t max_size);

  // Commits a finished upload as object (bucket, key) with `meta`: references the existing blob
  // when these bytes are already stored, otherwise makes them durable first. Returns the object
  // as stored. Throws NoSuchBucketError when the bucket vanished meanwhile.
  ObjectRecord put(Upload& upload, int64_t bucket_id, const std::string& key, ObjectMeta meta);

  // Deletes an object and releases its blob reference; false when absent.
  bool remove(int64_t bucket_id, const std::string& key) { return meta_.delete_object(bucket_id, key); }

  // Removes blobs that have had no reference for at least `grace_ms`.
  GcReport gc(int64_t grace_ms);

 private:
  MetaStore& meta_;
  BlobStore& blobs_;
};

}  // namespace herd

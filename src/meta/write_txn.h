#pragma once
// One metadata write transaction: the narrow set of row operations the pool's rules
// (pool/object_commits.h, pool/pool_gc.cc) are written over. Each metadata backend implements
// it; the backend decides nothing: it locks, reads and writes the rows it is told to.
// Not thread-safe: one thread uses a transaction from begin to commit. While it is open, the rows
// it locked (lock_blob) cannot change under it, in this process or any other.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "meta/types.h"

namespace herd {

class WriteTxn {
 public:
  // Rolls back unless commit() ran.
  virtual ~WriteTxn() = default;

  // --- blob rows
  // Locks the blob row (until commit or rollback) and reads it; nullopt when there is none.
  virtual std::optional<BlobRecord> lock_blob(const std::string& sha256) = 0;
  // Inserts a pending row (no references, no location): bytes are being placed.
  virtual void insert_pending_blob(const std::string& sha256, int64_t size, int64_t now_ms) = 0;
  // Sets a row's state (and when it entered it). A pending row loses its location; a live one at
  // zero references counts as unreferenced from `now_ms`.
  virtual void set_blob_state(const std::string& sha256, BlobState state, int64_t now_ms) = 0;
  // Makes a row live with one reference, its bytes at `where`, recording their raw MD5 (when
  // `md5` is not empty).
  virtual void make_blob_live(const std::string& sha256, const BlobLocation& where, const std::string& md5) = 0;
  // One more reference (clears the zero-since time).
  virtual void add_reference(const std::string& sha256) = 0;
  // One reference less; a row reaching zero records `now_ms` as its zero-since time.
  virtual void release_reference(const std::string& sha256, int64_t now_ms) = 0;
  virtual void delete_blob(const std::string& sha256) = 0;

  // --- object rows
  virtual bool bucket_exists(int64_t bucket_id) = 0;
  // Writes (bucket, key), replacing any previous row; returns the blob the replaced row
  // referenced. Keeps the owner's TenantUsage in step, and throws QuotaExceededError (having
  // changed nothing) when the write would take it past a quota. Throws NoSuchBucketError when
  // the bucket does not exist.
  virtual std::optional<std::string> write_object(const ObjectRecord& object) = 0;
  // Deletes (bucket, key), keeping the owner's TenantUsage in step; returns the blob it
  // referenced, nullopt when absent.
  virtual std::optional<std::string> delete_object(int64_t bucket_id, const std::string& key) = 0;
  // Deletes the tenant with its buckets, objects, multipart uploads and records of completed
  // uploads. Returns the blob of every
  // deleted object (once per object) and the staging handles of the deleted parts.
  struct DeletedTenant {
    std::vector<std::string> blobs;
    std::vector<std::string> staged;
  };
  virtual DeletedTenant delete_tenant(int64_t tenant_id) = 0;
  // Forgets a multipart upload and its parts; returns their staging handles. Throws
  // NoSuchUploadError.
  virtual std::vector<std::string> delete_multipart(const std::string& upload_id) = 0;
  // Records that an upload completed (MultipartRows::get_completed_multipart reads it back),
  // replacing any record with the same upload id.
  virtual void record_completed_multipart(const CompletedUpload& completed) = 0;

  // --- takedowns and the audit log
  virtual bool is_taken_down(const std::string& sha256) = 0;
  // Records a takedown (replacing one of the same blob).
  virtual void add_takedown(const Takedown& takedown) = 0;
  // Ends a takedown; false when there was none.
  virtual bool remove_takedown(const std::string& sha256) = 0;
  // (bucket id, key) of every object referencing the blob.
  virtual std::vector<std::pair<int64_t, std::string>> objects_of_blob(const std::string& sha256) = 0;
  virtual void append_audit(const AuditEntry& entry) = 0;

  // --- pool counters (PoolStats): named totals that only grow
  virtual void add_to_counter(const std::string& name, int64_t delta) = 0;

  // --- entries of a group: an entry that fails is undone alone (savepoints)
  virtual void begin_entry() = 0;
  // Keeps (true) or undoes (false) what was done since begin_entry().
  virtual void end_entry(bool keep) = 0;

  // Commits; durable once it returns when the transaction was begun durable.
  virtual void commit() = 0;
};

}  // namespace herd

#pragma once
// The pool core: deduplicated put, delete, garbage collection and statistics, over a metadata
// store and a blob store. Protocol layers (S3, public web, CLI) call only this for writes.
// Thread-safe.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "blob/blob_store.h"
#include "meta/meta_store.h"
#include "pool/group_commit.h"
#include "pool/hash_lanes.h"
#include "pool/object_cache.h"
#include "pool/object_commits.h"
#include "pool/tenant_cache.h"
#include "pool/upload.h"

namespace herd {

// Result of one garbage collection pass.
struct GcReport {
  int64_t blobs_removed = 0;
  int64_t bytes_freed = 0;     // including dead space of deleted packs
  int64_t packs_removed = 0;   // packs deleted (after moving their live blobs)
  int64_t blobs_repacked = 0;  // live blobs moved out of mostly dead packs
};

class Pool {
 public:
  Pool(MetaStore& meta, BlobStore& blobs)
      : meta_(meta), blobs_(blobs), commits_(meta, blobs), group_commit_(meta, blobs) {}
  // Waits for the commits in flight (their completions use the cache).
  ~Pool() { drain_commits(); }

  // Reads go to the metadata store directly; every change goes through the methods below,
  // which keep the lookup cache (used by public reads) coherent.
  MetaStore& meta() { return meta_; }
  BlobStore& blobs() { return blobs_; }

  // Tenants by access key, for authentication (see TenantCache).
  TenantCache& tenants() { return tenants_; }
  // From now on, keeps the caches coherent with what other nodes commit, as the metadata store
  // reports it (MetaStore::watch_changes): read-after-write across nodes. The server calls it
  // once; one-shot commands need not.
  void watch_other_nodes();
  // Cached lookups for anonymous public reads (see ObjectCache).
  std::optional<Bucket> cached_bucket(const std::string& name);
  std::optional<ObjectRecord> cached_object(int64_t bucket_id, const std::string& key);
  // Lookups for authenticated reads (GetObject, HeadObject): on metadata shared by nodes
  // (PostgreSQL) through the caches above, which watch_other_nodes() keeps coherent, so a read
  // costs no database round trip; on SQLite (a local read is as cheap) from the store itself.
  std::optional<Bucket> read_bucket(const std::string& name);
  std::optional<ObjectRecord> read_object(int64_t bucket_id, const std::string& key);

  // Starts receiving a body of at most `max_size` bytes (hashing large chunks on two cores).
  // With `may_pack`, a body declared no larger than the pack threshold is kept in memory and
  // packed when committed (put() only: parts and assembled uploads always get files).
  std::unique_ptr<Upload> begin_upload(int64_t max_size, bool may_pack = false);
  // Bodies up to this many bytes are packed (default 256 KiB); 0 turns packing off.
  void set_pack_threshold(int64_t bytes) { pack_threshold_ = bytes; }
  // Opens an object's blob; follows the blob when compaction moved it since `object` was read.
  // nullptr when its bytes are absent.
  std::unique_ptr<BlobReader> open_blob(const ObjectRecord& object);
  // open_blob() without waiting on the network (BlobStore::open_now): nullopt when only a fetch
  // from a remote store can tell; then call open_blob() on the blocking pool.
  std::optional<std::unique_ptr<BlobReader>> open_blob_now(const ObjectRecord& object);

  // Commits a finished upload as object (bucket, key) with `meta`: references the existing blob
  // when these bytes are already stored, otherwise makes them durable first. Returns the object
  // as stored (but for its blob's location: get_object() has it). Concurrent puts commit as a
  // group (GroupCommit). Blocks until durable.
  // Throws NoSuchBucketError when the bucket vanished meanwhile.
  // With `outcome`, says whether the bytes were already stored (deduplicated).
  ObjectRecord put(Upload& upload, int64_t bucket_id, const std::string& key, ObjectMeta meta,
                   PutOutcome* outcome = nullptr);
  // put() without blocking, for bodies kept in memory (Upload::in_memory()), which are synced
  // with their pack: `done` runs on the committer thread with the object as stored, or with the
  // error put() would throw. `upload` must stay alive until then. (A file upload works too, but
  // its fsync would then hold up the committer.)
  using PutDone = std::function<void(ObjectRecord stored, std::exception_ptr error)>;
  void put_async(Upload& upload, int64_t bucket_id, const std::string& key, ObjectMeta meta, PutDone done);
  // Blocks until every commit submitted so far is done (before shutting down what `done` uses).
  void drain_commits() { group_commit_.drain(); }
  // Commits so far and the groups they formed.
  GroupCommit::Stats commit_stats() const { return group_commit_.stats(); }

  // Puts back the bytes of a referenced blob whose own went missing or corrupt (fsck --repair,
  // herd recover), from a finished upload of exactly those bytes: places them durably and points
  // the blob row at them. Throws std::logic_error when the upload's digest names no blob row.
  void restore_blob(Upload& upload);

  // --- takedowns (pool/takedowns.cc)
  // Takes a blob down pool-wide, in one durable transaction: records the takedown and an audit
  // entry, and deletes every object referencing it in every tenant (GC then removes the bytes
  // after the grace period). From then on uploads and fetches of the same bytes are refused
  // (TakenDownError) and its blob URLs answer 451. Returns how many objects were deleted.
  int64_t take_down(const std::string& sha256, const std::string& reason);
  // Lifts a takedown (audit-logged with `reason`): the bytes may be stored again (the deleted
  // objects stay deleted). False when the blob was not taken down.
  bool lift_takedown(const std::string& sha256, const std::string& reason);

  // Deletes an object and releases its blob reference; false when absent.
  bool remove(int64_t bucket_id, const std::string& key);
  // Deletes every listed key that exists, in one transaction.
  void remove_many(int64_t bucket_id, const std::vector<std::string>& keys);
  // Commits `object` as another reference to the live blob its sha256 names (CopyObject); false
  // when that blob lost its last reference meanwhile, so there are no bytes to reference.
  bool copy(const ObjectRecord& object);
  // The blob row of bytes tenant `tenant_id` may use without sending them (an upload skipped, a
  // federation `has`): live and referenced, its MD5 recorded (an ETag needs it), and readable by
  // the tenant anyway (MetaStore::blob_usable_by). nullopt otherwise.
  std::optional<BlobRecord> blob_usable_by(int64_t tenant_id, const std::string& sha256);
  // copy() for an upload whose body was never received because the pool holds its bytes (the
  // caller checked who may do that): counted in PoolStats as a skipped upload of object.size bytes.
  bool commit_skipped_upload(const ObjectRecord& object);
  // Counts an upload of `bytes` whose body was not received (a part copied from the pool's own
  // bytes), in one durable transaction.
  void count_skipped_upload(int64_t bytes);
  // Sets an object's canned ACL; false when absent.
  bool set_object_acl(int64_t bucket_id, const std::string& key, const std::string& acl);
  void set_bucket_acl(int64_t bucket_id, const std::string& acl);
  // Deletes an empty bucket; false when it holds objects or multipart uploads.
  bool delete_bucket(int64_t bucket_id);
  // Deletes a tenant with its buckets, objects (releasing their references) and multipart
  // uploads (removing their staged parts).
  void delete_tenant(int64_t tenant_id);

  // Removes blobs that have had no reference for at least `grace_ms` (and rows of placements
  // abandoned for ObjectCommits::kPendingTimeout, and deletions a crash interrupted), then
  // compacts packs that are at least half dead space (their live blobs move to the current pack).
  // Each blob is claimed (durably marked deleting) before its bytes go, then forgotten, so an
  // upload of the same bytes meanwhile waits and places them again (pool/gc.cc). With
  // `claim_lease_ms` > 0 passes may run side by side (several nodes): claims are leases of that
  // length. With 0 the caller guarantees this pass runs alone on the metadata (DataDir::gc).
  GcReport gc(int64_t grace_ms, int64_t claim_lease_ms = 0);

  // --- multipart uploads
  // Makes a finished part upload durable in the staging area and records it (replacing a part
  // with the same number). Throws NoSuchUploadError (the staged bytes are then removed).
  void add_part(Upload& upload, PartRecord part);
  // Commits `object` (bucket, key, etag, meta, part sizes set by the caller) from the finished
  // concatenation `upload`, ends the multipart upload `completed.upload_id` and removes its staged
  // parts. In the same transaction it records the completion: `completed` comes with the parts
  // signature and checksum type set by the caller and is filled in from the object, so a retried
  // Complete finds it once the upload is gone (MultipartRows::get_completed_multipart). Throws NoSuchUploadError (also when
  // another Complete of the same upload won the race), NoSuchBucketError.
  ObjectRecord complete_multipart(Upload& upload, CompletedUpload& completed, ObjectRecord object);
  // Aborts an upload and removes its staged parts. Throws NoSuchUploadError.
  void abort_multipart(const std::string& upload_id);
  // Aborts uploads started more than `max_age_ms` ago; returns how many.
  int64_t abort_stale_multiparts(int64_t max_age_ms);
  // Forgets the records of uploads completed more than `retention_ms` ago; returns how many.
  int64_t forget_completed_multiparts(int64_t retention_ms);
  // Removes staged bytes, logging (not throwing) on failure: they are garbage either way.
  void discard_staged(const std::vector<std::string>& handles);

 private:
  // The object record a finished upload commits as.
  static ObjectRecord record_of(Upload& upload, int64_t bucket_id, const std::string& key, ObjectMeta meta);
  // Syncs the upload unless its blob is already live (then place() would never run).
  void sync_unless_duplicate(Upload& upload);
  // The packing half of gc(): rewrites or deletes sealed packs that are mostly dead space.
  void compact_packs(GcReport& report);

  static constexpr int64_t kDefaultPackThreshold = 256 * 1024;
  std::atomic<int64_t> pack_threshold_{kDefaultPackThreshold};

  MetaStore& meta_;
  BlobStore& blobs_;
  ObjectCommits commits_;
  GroupCommit group_commit_;
  std::once_flag lanes_once_;
  std::unique_ptr<HashLanes> lanes_;  // started by the first upload
  ObjectCache cache_{10000, std::chrono::seconds(2)};
  TenantCache tenants_{meta_, 10000, std::chrono::seconds(5)};
  std::unique_ptr<ChangeWatch> watch_;  // last: stops before the caches it updates go
};

}  // namespace herd

#pragma once
// The metadata store: tenants, buckets, objects and blob reference counts.
// SQLite by default (sqlite_meta_store.h); a PostgreSQL store can implement the same interface.
// All methods are thread-safe and safe against other processes using the same store.
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "meta/types.h"

namespace herd {

// Outcome of CreateBucket.
enum class CreateBucketResult { kCreated, kOwnedByYou, kTakenByOther };

// Outcome of committing a PutObject.
struct PutOutcome {
  bool deduplicated = false;  // the blob already had live references; no bytes were placed
};

// One object commit of a group (MetaStore::put_objects).
struct PendingPut {
  ObjectRecord object;
  PutOutcome outcome;        // set when this put committed
  std::exception_ptr error;  // set when this put failed alone (e.g. NoSuchBucketError)
};

// Raised when a multipart upload does not exist (never did, completed or aborted).
struct NoSuchUploadError : std::runtime_error {
  NoSuchUploadError() : std::runtime_error("no such upload") {}
};

// Raised when a bucket vanished (deleted concurrently) while an operation needed it.
struct NoSuchBucketError : std::runtime_error {
  NoSuchBucketError() : std::runtime_error("no such bucket") {}
};

class MetaStore {
 public:
  virtual ~MetaStore() = default;

  // --- tenants
  // Creates a tenant; false when the name or access key is taken.
  virtual bool create_tenant(Tenant& tenant) = 0;
  virtual std::optional<Tenant> tenant_by_access_key(const std::string& access_key) = 0;
  virtual std::optional<Tenant> tenant_by_name(const std::string& name) = 0;
  virtual std::vector<Tenant> list_tenants() = 0;
  // Deletes the tenant, its buckets, objects (releasing their blob references) and multipart
  // uploads. Returns the staging handles of the deleted parts, for the caller to remove.
  virtual std::vector<std::string> delete_tenant(int64_t tenant_id) = 0;
  // Number of buckets the tenant owns.
  virtual int64_t count_buckets(int64_t tenant_id) = 0;

  // --- buckets
  virtual CreateBucketResult create_bucket(int64_t tenant_id, const std::string& name) = 0;
  virtual std::optional<Bucket> bucket_by_name(const std::string& name) = 0;
  virtual std::vector<Bucket> list_buckets(int64_t tenant_id) = 0;
  // Deletes an empty bucket; false when it still holds objects or multipart uploads.
  virtual bool delete_bucket(int64_t bucket_id) = 0;

  // --- objects
  virtual std::optional<ObjectRecord> get_object(int64_t bucket_id, const std::string& key) = 0;
  // Some object referencing the blob that anyone may read (its own or its bucket's ACL is
  // public-read), if there is one.
  virtual std::optional<ObjectRecord> public_object_for_blob(const std::string& sha256) = 0;
  // Up to `limit` objects in key order with key > `after` (or >= when `inclusive`) and key
  // starting with `prefix`.
  virtual std::vector<ObjectSummary> list_objects(int64_t bucket_id, const std::string& after, bool inclusive,
                                                  const std::string& prefix, size_t limit) = 0;

  // Commits an object row pointing at blob `object.sha256` in one transaction: adds a reference to
  // the blob, replaces any previous object at (bucket, key) and releases that one's reference.
  // When the blob has no live reference (unknown, or at zero awaiting GC), `place_blob` is called
  // inside the transaction, under the store's write lock, and must make the blob's bytes durable
  // at their final location, which it returns (recorded in the blob row); an exception from it
  // aborts the commit. Throws NoSuchBucketError.
  virtual PutOutcome put_object(const ObjectRecord& object, const std::function<BlobLocation()>& place_blob) = 0;
  // Group commit: put_object for every entry in one transaction (one durable write for all).
  // An entry that fails alone gets its `error` and leaves no trace; the others commit. The
  // entries whose blob has no live reference are passed (as indexes) to one call of
  // `place_blobs` inside the transaction, under the write lock, which returns their locations (in
  // the same order); an exception from it aborts the whole group and is rethrown.
  virtual void put_objects(
      std::vector<PendingPut>& puts,
      const std::function<std::vector<BlobLocation>(const std::vector<size_t>&)>& place_blobs) = 0;
  // Removes (bucket, key), releasing its blob reference; false when it did not exist.
  virtual bool delete_object(int64_t bucket_id, const std::string& key) = 0;
  // Removes every listed key that exists, in one transaction (DeleteObjects).
  virtual void delete_objects(int64_t bucket_id, const std::vector<std::string>& keys) = 0;
  // Sets an object's canned ACL; false when the object does not exist.
  virtual bool set_object_acl(int64_t bucket_id, const std::string& key, const std::string& acl) = 0;
  // Sets a bucket's canned ACL (public-read lets anyone read its objects).
  virtual void set_bucket_acl(int64_t bucket_id, const std::string& acl) = 0;

  // --- multipart uploads
  virtual void create_multipart(const MultipartUpload& upload) = 0;
  virtual std::optional<MultipartUpload> get_multipart(const std::string& upload_id) = 0;
  // Records a part, replacing any part with the same number. Returns the replaced part's staging
  // handle, for the caller to remove. Throws NoSuchUploadError.
  virtual std::optional<std::string> put_part(const PartRecord& part) = 0;
  // Parts with number > `after_part`, ascending, at most `limit`.
  virtual std::vector<PartRecord> list_parts(const std::string& upload_id, int after_part, size_t limit) = 0;
  // Uploads in a bucket ordered by (key, upload id) after the markers, with key prefix `prefix`.
  virtual std::vector<MultipartUpload> list_multiparts(int64_t bucket_id, const std::string& prefix,
                                                       const std::string& key_marker,
                                                       const std::string& upload_id_marker, size_t limit) = 0;
  // Uploads created before `cutoff_ms` (abandoned), at most `limit`.
  virtual std::vector<MultipartUpload> multiparts_before(int64_t cutoff_ms, size_t limit) = 0;
  // Forgets an upload and its parts. Returns their staging handles. Throws NoSuchUploadError.
  virtual std::vector<std::string> delete_multipart(const std::string& upload_id) = 0;
  // put_object for the completed upload's object plus delete_multipart, in one transaction.
  // Returns the parts' staging handles. Throws NoSuchUploadError, NoSuchBucketError.
  virtual std::vector<std::string> complete_multipart(const std::string& upload_id, const ObjectRecord& object,
                                                      const std::function<BlobLocation()>& place_blob) = 0;

  // --- blobs and garbage collection
  // True when the blob is referenced by at least one object right now (a hint: may change).
  virtual bool blob_is_live(const std::string& sha256) = 0;
  // Blobs at zero references since before `cutoff_ms`, at most `limit`.
  virtual std::vector<std::string> gc_candidates(int64_t cutoff_ms, size_t limit) = 0;
  // In one transaction under the write lock: if the blob is still at zero references since
  // before `cutoff_ms`, calls `remove_blob` with its location (which deletes its bytes) and forgets
  // it. Returns the blob's size when removed.
  virtual std::optional<int64_t> gc_remove(const std::string& sha256, int64_t cutoff_ms,
                                           const std::function<void(const BlobLocation&)>& remove_blob) = 0;
  // Where a blob's bytes are now; nullopt when there is no blob row.
  virtual std::optional<BlobLocation> blob_location(const std::string& sha256) = 0;

  // --- packs (compaction)
  // Live bytes and blobs of every pack holding referenced blobs (packs absent here hold none).
  virtual std::vector<PackUsage> pack_usage() = 0;
  // The referenced blobs stored in pack `pack`.
  virtual std::vector<PackedBlob> packed_blobs(int64_t pack) = 0;
  // In one transaction under the write lock: each blob still at `moves[i].first.location` now is at
  // `moves[i].second` (blobs moved or released meanwhile are left alone).
  virtual void relocate_blobs(const std::vector<std::pair<PackedBlob, BlobLocation>>& moves) = 0;
  // Under the write lock: when no referenced blob is in pack `pack`, calls `delete_pack` and
  // returns true (rows at zero references still naming it keep awaiting GC, which ignores them).
  virtual bool forget_pack(int64_t pack, const std::function<void()>& delete_pack) = 0;

  virtual PoolStats stats() = 0;

  // --- consistency checks (herd fsck)
  // Blob rows with sha256 > `after` in order, at most `limit`.
  virtual std::vector<BlobRecord> list_blobs(const std::string& after, size_t limit) = 0;
  virtual std::optional<BlobRecord> get_blob(const std::string& sha256) = 0;
  // Under the write lock: sets the blob's refcount to the number of objects referencing it.
  // Returns {stored, actual} when they differed (and were fixed when `repair`).
  virtual std::optional<std::pair<int64_t, int64_t>> check_refcount(const std::string& sha256, bool repair) = 0;
  // Sets where a blob's bytes are (fsck points a quarantined packed blob at a missing file).
  virtual void set_blob_location(const std::string& sha256, const BlobLocation& where) = 0;
  // Distinct blob digests that objects reference but that have no blob row.
  virtual std::vector<std::string> dangling_blob_references() = 0;
  // Under the write lock: when no blob row exists for `sha256`, calls `adopt` (which returns the
  // blob's size when its bytes were verified, nullopt to drop them) and, when objects reference
  // it, recreates the row. Returns true when a row now exists.
  virtual bool adopt_blob(const std::string& sha256, const std::function<std::optional<int64_t>()>& adopt) = 0;
  // Staging handles of all recorded multipart parts.
  virtual std::vector<std::string> staged_handles() = 0;
};

}  // namespace herd

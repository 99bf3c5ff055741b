#pragma once
// Plain records shared by the metadata store, the pool core and the protocol layers.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "blob/blob_location.h"

namespace herd {

// One instance (or admin) using the pool: owns keys and buckets.
struct Tenant {
  int64_t id = 0;
  std::string name;
  std::string access_key;
  std::string secret_key;
  int64_t created_ms = 0;
};

// A bucket; names are global to the pool.
struct Bucket {
  int64_t id = 0;
  std::string name;
  int64_t tenant_id = 0;
  int64_t created_ms = 0;
  std::string acl = "private";  // canned ACL of the bucket itself
};

// What S3 keeps per object besides its bytes. Belongs to the object, never to the shared blob.
struct ObjectMeta {
  std::string content_type;
  std::string cache_control;
  std::string content_disposition;
  std::string content_encoding;
  std::string expires;  // the Expires header as sent (S3 returns it verbatim)
  std::vector<std::pair<std::string, std::string>> user_meta;  // x-amz-meta-<name> (lower-case name)
  std::string acl = "private";                                 // canned ACL
  std::string checksum_algorithm;  // "CRC32", "SHA256", … when the client sent or asked for one
  std::string checksum;            // its base64 value
};

// (bucket, key) -> blob, plus its S3 metadata.
struct ObjectRecord {
  int64_t bucket_id = 0;
  std::string key;
  std::string sha256;  // raw 32 bytes of the blob it references
  int64_t size = 0;
  std::string etag;    // without quotes
  int64_t modified_ms = 0;
  ObjectMeta meta;
  std::vector<int64_t> part_sizes;  // multipart objects: each part's size, in order; empty otherwise
  BlobLocation location;            // where the blob's bytes are (read from the blob row)
};

// The listing view of an object (no metadata).
struct ObjectSummary {
  std::string key;
  int64_t size = 0;
  std::string etag;
  int64_t modified_ms = 0;
};

// A multipart upload in progress.
struct MultipartUpload {
  std::string upload_id;
  int64_t bucket_id = 0;
  std::string key;
  ObjectMeta meta;            // applied to the object on completion; checksum_algorithm if requested
  std::string checksum_type;  // "COMPOSITE" or "FULL_OBJECT" when a checksum algorithm is set
  int64_t created_ms = 0;
};

// A multipart upload that completed, remembered for a while so that a retried Complete with the
// same part list answers as the first one did (clients retry after a lost response).
struct CompletedUpload {
  std::string upload_id;
  int64_t bucket_id = 0;
  std::string key;
  std::string parts;  // hex SHA-256 of the completed part list (numbers and ETags, in order)
  std::string etag;   // of the object it created, without quotes
  std::string checksum_algorithm;  // "" when the upload had none
  std::string checksum;            // the object's checksum in that algorithm
  std::string checksum_type;       // "COMPOSITE" or "FULL_OBJECT" (with an algorithm)
  int64_t completed_ms = 0;
};

// One uploaded part, staged durably until the upload completes or is aborted.
struct PartRecord {
  std::string upload_id;
  int part_number = 0;
  int64_t size = 0;
  std::string etag;      // hex MD5 of the part
  std::string checksum;  // base64, in the upload's checksum algorithm (empty when none)
  std::string staged;    // BlobStore staging handle
  int64_t modified_ms = 0;
};

// Where a blob row is in its life: pending (bytes being placed, not yet referenced), live
// (bytes trusted while referenced; at zero references it awaits GC), deleting (claimed by GC,
// which deletes the bytes, then the row). The numbers are stored.
enum class BlobState : int64_t { kPending = 0, kLive = 1, kDeleting = 2 };

// A blob row as stored.
struct BlobRecord {
  std::string sha256;  // raw 32 bytes
  int64_t size = 0;
  int64_t refcount = 0;
  BlobLocation location;
  BlobState state = BlobState::kLive;
  int64_t zero_since_ms = 0;  // live rows at zero references: since when
  int64_t state_ms = 0;       // pending and deleting rows: since when
  std::string md5;            // raw 16 bytes of the bytes' MD5; empty for rows stored before schema 4
};

// The live (referenced) contents of one pack.
struct PackUsage {
  int64_t pack = 0;
  int64_t live_bytes = 0;
  int64_t live_blobs = 0;
};

// Pool-wide counters for `herd stats`.
struct PoolStats {
  int64_t tenants = 0;
  int64_t buckets = 0;
  int64_t objects = 0;
  int64_t logical_bytes = 0;      // sum of object sizes
  int64_t blobs = 0;              // distinct blobs stored (including those awaiting GC, not those being placed)
  int64_t physical_bytes = 0;     // sum of distinct blob sizes
  int64_t reclaimable_blobs = 0;  // blobs at zero references awaiting GC, or being deleted by it
  int64_t reclaimable_bytes = 0;
  int64_t uploads_skipped = 0;       // PUTs answered without their body: a public blob had the bytes
  int64_t upload_bytes_skipped = 0;  // the bytes those PUTs did not send
};

// What a tenant stores (kept in step with its objects by every commit) and its quotas.
struct TenantUsage {
  int64_t objects = 0;
  int64_t logical_bytes = 0;               // sum of its objects' sizes: what it uploaded
  std::optional<int64_t> quota_objects;    // none: unlimited
  std::optional<int64_t> quota_bytes;
};

// A blob an operator took down: removed from every tenant, its bytes refused from then on.
struct Takedown {
  std::string sha256;  // raw
  std::string reason;
  int64_t created_ms = 0;
};

// One line of the append-only audit log ("takedown", "lift").
struct AuditEntry {
  int64_t at_ms = 0;
  std::string action;
  std::string sha256;  // raw
  std::string detail;
};

// The names of the pool counters behind PoolStats (WriteTxn::add_to_counter).
inline constexpr const char* kCounterUploadsSkipped = "uploads_skipped";
inline constexpr const char* kCounterUploadBytesSkipped = "upload_bytes_skipped";

}  // namespace herd

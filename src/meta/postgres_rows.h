#pragma once
// Row encodings shared by the PostgreSQL store's files (used by postgres_*.cc only).
#include <string>

#include "meta/postgres.h"
#include "meta/types.h"

namespace herd::postgres_rows {

// The advisory lock every writer takes first (pg_advisory_xact_lock), and the one schema
// creation takes. Arbitrary constants ("Herd" and "Herd"+1 in ASCII).
constexpr int64_t kWriteLock = 0x48657264;
constexpr int64_t kSchemaLock = 0x48657265;

// A location as the (pack, offset) parameters: NULLs for a blob file.
pg::Param pack_param(const BlobLocation& where);
pg::Param offset_param(const BlobLocation& where);
// The location in columns `first` (pack) and `first + 1` (offset) of `row`.
BlobLocation read_location(const pg::Result& r, int row, int first);

// The columns read_blob() expects, ready for "FROM blobs ...".
constexpr const char* kBlobColumns =
    "SELECT sha256, size, refcount, pack, pack_offset, state, zero_since_ms, state_ms, md5 FROM blobs ";
BlobRecord read_blob(const pg::Result& r, int row);

// The columns read_object() expects, ready for "WHERE ..." (objects are `o`, their blob `bl`).
constexpr const char* kObjectColumns =
    "SELECT o.bucket_id, o.key, o.sha256, o.size, o.etag, o.modified_ms, o.content_type, o.cache_control, "
    "o.content_disposition, o.content_encoding, o.user_meta, o.acl, o.checksum_algorithm, o.checksum, o.part_sizes, "
    "bl.pack, bl.pack_offset, o.expires FROM objects o LEFT JOIN blobs bl ON bl.sha256 = o.sha256 ";
ObjectRecord read_object(const pg::Result& r, int row);

}  // namespace herd::postgres_rows

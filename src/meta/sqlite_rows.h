#pragma once
// Row encodings shared by the SQLite store's files (used by sqlite_*.cc only).
#include <string>

#include "meta/sqlite.h"
#include "meta/types.h"

namespace herd::sqlite_rows {

// Binds a location as (pack, offset) at `first` and `first + 1`: NULLs for a blob file.
void bind_location(sqlite::Statement& s, int first, const BlobLocation& where);
// The location in columns `first` (pack) and `first + 1` (offset).
BlobLocation read_location(sqlite::Statement& s, int first);

// The columns read_blob() expects, ready for "FROM blobs ...".
constexpr const char* kBlobColumns =
    "SELECT sha256, size, refcount, pack, pack_offset, state, zero_since_ms, state_ms, md5 FROM blobs ";
BlobRecord read_blob(sqlite::Statement& s);

}  // namespace herd::sqlite_rows

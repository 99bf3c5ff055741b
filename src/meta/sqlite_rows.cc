#include "meta/sqlite_rows.h"

namespace herd::sqlite_rows {

void bind_location(sqlite::Statement& s, int first, const BlobLocation& where) {
  if (where.packed()) {
    s.bind(first, where.pack).bind(first + 1, where.offset);
  } else {
    s.bind_null(first).bind_null(first + 1);
  }
}

BlobLocation read_location(sqlite::Statement& s, int first) {
  if (s.is_null(first)) return {};
  return BlobLocation{s.int64(first), s.int64(first + 1)};
}

BlobRecord read_blob(sqlite::Statement& s) {
  BlobRecord b;
  b.sha256 = s.blob(0);
  b.size = s.int64(1);
  b.refcount = s.int64(2);
  b.location = read_location(s, 3);
  b.state = static_cast<BlobState>(s.int64(5));
  b.zero_since_ms = s.is_null(6) ? 0 : s.int64(6);
  b.state_ms = s.is_null(7) ? 0 : s.int64(7);
  if (!s.is_null(8)) b.md5 = s.blob(8);
  return b;
}

}  // namespace herd::sqlite_rows

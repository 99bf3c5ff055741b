#include "meta/postgres_rows.h"

#include "meta/row_codecs.h"

namespace herd::postgres_rows {

pg::Param pack_param(const BlobLocation& where) { return where.packed() ? pg::param(where.pack) : pg::null(); }
pg::Param offset_param(const BlobLocation& where) { return where.packed() ? pg::param(where.offset) : pg::null(); }

BlobLocation read_location(const pg::Result& r, int row, int first) {
  if (r.is_null(row, first)) return {};
  return BlobLocation{r.int64(row, first), r.int64(row, first + 1)};
}

BlobRecord read_blob(const pg::Result& r, int row) {
  BlobRecord b;
  b.sha256 = r.bytes(row, 0);
  b.size = r.int64(row, 1);
  b.refcount = r.int64(row, 2);
  b.location = read_location(r, row, 3);
  b.state = static_cast<BlobState>(r.int64(row, 5));
  b.zero_since_ms = r.is_null(row, 6) ? 0 : r.int64(row, 6);
  b.state_ms = r.is_null(row, 7) ? 0 : r.int64(row, 7);
  if (!r.is_null(row, 8)) b.md5 = r.bytes(row, 8);
  return b;
}

ObjectRecord read_object(const pg::Result& r, int row) {
  ObjectRecord o;
  o.bucket_id = r.int64(row, 0);
  o.key = r.bytes(row, 1);
  o.sha256 = r.bytes(row, 2);
  o.size = r.int64(row, 3);
  o.etag = r.text(row, 4);
  o.modified_ms = r.int64(row, 5);
  o.meta.content_type = r.text(row, 6);
  o.meta.cache_control = r.text(row, 7);
  o.meta.content_disposition = r.text(row, 8);
  o.meta.content_encoding = r.text(row, 9);
  decode_user_meta(r.text(row, 10), o.meta);
  o.meta.acl = r.text(row, 11);
  o.meta.checksum_algorithm = r.text(row, 12);
  o.meta.checksum = r.text(row, 13);
  o.part_sizes = decode_part_sizes(r.text(row, 14));
  o.location = read_location(r, row, 15);
  o.meta.expires = r.text(row, 17);
  return o;
}

}  // namespace herd::postgres_rows

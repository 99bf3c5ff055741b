#pragma once
// The metadata store: tenants, buckets, objects, multipart uploads and blob rows, as small
// interfaces by concern, plus write transactions (WriteTxn) for everything that references blobs.
// SQLite by default (sqlite_meta_store.h). It stores; the rules (dedup, reference counting, GC)
// live in src/pool/. All methods are thread-safe and safe against other processes using the
// same store.
#include <memory>

#include "meta/blob_rows.h"
#include "meta/changes.h"
#include "meta/bucket_rows.h"
#include "meta/check_rows.h"
#include "meta/errors.h"
#include "meta/multipart_rows.h"
#include "meta/object_rows.h"
#include "meta/takedown_rows.h"
#include "meta/tenant_rows.h"
#include "meta/types.h"
#include "meta/write_txn.h"

namespace herd {

class MetaStore : public TenantRows,
                  public BucketRows,
                  public ObjectRows,
                  public MultipartRows,
                  public BlobRows,
                  public CheckRows,
                  public TakedownRows {
 public:
  ~MetaStore() override = default;
  // Begins a write transaction, excluding every other writer until it ends. A `durable` one is
  // on disk once commit() returns; a non-durable one may be lost in a crash (never half), and
  // becomes durable with the next durable commit.
  virtual std::unique_ptr<WriteTxn> write(bool durable) = 0;
  // Pool-wide counters, consistent with each other.
  virtual PoolStats stats() = 0;
  // Reports, through `handler`, the changes other processes commit to cached rows until the
  // returned watch is destroyed. A store one server owns alone (SQLite: one server per data
  // directory) has nothing to report and returns nullptr; the caches' short TTLs bound what
  // one-shot commands change behind it.
  virtual std::unique_ptr<ChangeWatch> watch_changes(MetaChangeHandler handler) { return nullptr; }
  // True when processes on other machines may use the store at once (PostgreSQL); false when
  // all its users share one data directory (SQLite).
  virtual bool shared_by_nodes() const { return false; }
};

}  // namespace herd

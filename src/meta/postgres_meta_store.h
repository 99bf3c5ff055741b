#pragma once
// MetaStore on PostgreSQL (15+), for pools that outgrow one machine: several Herd processes (on
// one host or many) may share one database.
// Threads share a bounded pool of connections (a caller waits for a free one). Every write,
// here and in every process on the database, takes one transaction-scoped advisory lock first,
// so writers serialize pool-wide exactly as WriteTxn promises; reads never wait for writers.
// A non-durable write commits with synchronous_commit off (PostgreSQL's own asynchronous commit:
// it may be lost in a crash of the database server, never half-applied).
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "meta/changes.h"
#include "meta/meta_store.h"
#include "meta/postgres.h"

namespace herd {

class PostgresMetaStore : public MetaStore {
 public:
  // Connects with `conninfo` (a libpq connection string or URL), creates or migrates the schema
  // (in the connection's search_path), and keeps at most `max_connections` connections open.
  // Throws Unavailable (util/unavailable.h) with a clear message when the database cannot be reached.
  PostgresMetaStore(std::string conninfo, size_t max_connections);
  ~PostgresMetaStore() override;

  std::unique_ptr<WriteTxn> write(bool durable) override;
  PoolStats stats() override;
  // Every process on the database NOTIFYs the changes it commits (inside the same transaction)
  // on a channel named after the schema; a watch LISTENs on a connection of its own, and reports
  // kEverything whenever that connection dropped (then reconnects, once a second).
  std::unique_ptr<ChangeWatch> watch_changes(MetaChangeHandler handler) override;
  bool shared_by_nodes() const override { return true; }

  bool create_tenant(Tenant& tenant) override;
  std::optional<Tenant> tenant_by_access_key(const std::string& access_key) override;
  std::optional<Tenant> tenant_by_id(int64_t id) override;
  std::optional<Tenant> tenant_by_name(const std::string& name) override;
  std::vector<Tenant> list_tenants() override;
  int64_t count_buckets(int64_t tenant_id) override;

  CreateBucketResult create_bucket(int64_t tenant_id, const std::string& name) override;
  std::optional<Bucket> bucket_by_name(const std::string& name) override;
  std::vector<Bucket> list_buckets(int64_t tenant_id) override;
  bool delete_bucket(int64_t bucket_id) override;
  void set_bucket_acl(int64_t bucket_id, const std::string& acl) override;

  std::optional<ObjectRecord> get_object(int64_t bucket_id, const std::string& key) override;
  std::optional<ObjectRecord> public_object_for_blob(const std::string& sha256) override;
  bool blob_usable_by(int64_t tenant_id, const std::string& sha256) override;
  std::vector<Takedown> list_takedowns() override;
  TenantUsage tenant_usage(int64_t tenant_id) override;
  void set_tenant_quota(int64_t tenant_id, std::optional<int64_t> objects, std::optional<int64_t> bytes) override;
  bool is_taken_down(const std::string& sha256) override;
  std::vector<AuditEntry> audit_log(size_t limit) override;
  std::vector<ObjectSummary> list_objects(int64_t bucket_id, const std::string& after, bool inclusive,
                                          const std::string& prefix, size_t limit) override;
  bool set_object_acl(int64_t bucket_id, const std::string& key, const std::string& acl) override;

  void create_multipart(const MultipartUpload& upload) override;
  std::optional<MultipartUpload> get_multipart(const std::string& upload_id) override;
  std::optional<std::string> put_part(const PartRecord& part) override;
  std::vector<PartRecord> list_parts(const std::string& upload_id, int after_part, size_t limit) override;
  std::vector<MultipartUpload> list_multiparts(int64_t bucket_id, const std::string& prefix,
                                               const std::string& key_marker, const std::string& upload_id_marker,
                                               size_t limit) override;
  std::vector<MultipartUpload> multiparts_before(int64_t cutoff_ms, size_t limit) override;
  std::vector<std::string> delete_multipart(const std::string& upload_id) override;
  std::vector<std::string> staged_handles() override;
  std::optional<CompletedUpload> get_completed_multipart(const std::string& upload_id) override;
  int64_t forget_completed_multiparts(int64_t cutoff_ms) override;

  bool blob_is_live(const std::string& sha256) override;
  std::optional<BlobRecord> get_blob(const std::string& sha256) override;
  std::optional<BlobLocation> blob_location(const std::string& sha256) override;
  std::vector<BlobRecord> list_blobs(const std::string& after, size_t limit) override;
  std::vector<BlobRecord> gc_candidates(int64_t zero_cutoff_ms, int64_t pending_cutoff_ms, int64_t claim_cutoff_ms,
                                        size_t limit) override;
  std::vector<PackUsage> pack_usage() override;
  std::vector<PackedBlob> packed_blobs(int64_t pack) override;
  void relocate_blobs(const std::vector<std::pair<PackedBlob, BlobLocation>>& moves) override;
  bool forget_pack(int64_t pack) override;

  std::optional<std::pair<int64_t, int64_t>> check_refcount(const std::string& sha256, bool repair) override;
  void set_blob_location(const std::string& sha256, const BlobLocation& where) override;
  std::vector<std::string> dangling_blob_references() override;
  bool adopt_blob(const std::string& sha256, const std::function<std::optional<int64_t>()>& adopt) override;

 private:
  friend class PostgresWriteTxn;

  // A connection borrowed from the pool for the lifetime of the lease; a connection left broken
  // or inside a transaction is closed instead of returned.
  class Lease {
   public:
    explicit Lease(PostgresMetaStore& store);
    ~Lease();
    pg::Connection& operator*() { return *conn_; }
    pg::Connection* operator->() { return conn_.get(); }

   private:
    PostgresMetaStore& store_;
    std::unique_ptr<pg::Connection> conn_;
  };

  // A write transaction on `c` holding the pool-wide write lock until it ends.
  class Writing : public pg::Transaction {
   public:
    explicit Writing(pg::Connection& c);
  };

  // Queues `changes` for the other processes' watches; delivered when c's transaction commits.
  void publish(pg::Connection& c, const std::vector<MetaChange>& changes);

  // delete_multipart's work inside the caller's write transaction.
  static std::vector<std::string> delete_multipart_locked(pg::Connection& c, const std::string& upload_id);

  std::string conninfo_;
  size_t max_connections_;
  std::string channel_;  // the NOTIFY channel of this schema
  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<pg::Connection>> idle_;
  size_t open_ = 0;  // connections leased or idle
};

}  // namespace herd

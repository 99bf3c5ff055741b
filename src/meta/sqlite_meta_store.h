#pragma once
// MetaStore on an SQLite database in WAL mode (the embedded default).
// Threads share a small pool of connections; writers serialize on an in-process mutex and,
// across processes (the CLI beside a running server), on SQLite's BEGIN IMMEDIATE lock.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "meta/meta_store.h"
#include "meta/sqlite.h"

namespace herd {

class SqliteMetaStore : public MetaStore {
 public:
  // Opens or creates the database file and migrates its schema.
  explicit SqliteMetaStore(std::string path);
  ~SqliteMetaStore() override;

  std::unique_ptr<WriteTxn> write(bool durable) override;
  PoolStats stats() override;

  bool create_tenant(Tenant& tenant) override;
  std::optional<Tenant> tenant_by_access_key(const std::string& access_key) override;
  std::optional<Tenant> tenant_by_name(const std::string& name) override;
  std::optional<Tenant> tenant_by_id(int64_t id) override;
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
  // A connection borrowed from the pool for the lifetime of the lease.
  class Lease {
   public:
    Lease(SqliteMetaStore& store);
    ~Lease();
    sqlite::Connection& operator*() { return *conn_; }
    sqlite::Connection* operator->() { return conn_.get(); }

   private:
    SqliteMetaStore& store_;
    std::unique_ptr<sqlite::Connection> conn_;
  };

  friend class SqliteWriteTxn;
  // delete_multipart's work inside the caller's write transaction.
  static std::vector<std::string> delete_multipart_locked(sqlite::Connection& c, const std::string& upload_id);

  std::string path_;
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<sqlite::Connection>> idle_;
  std::mutex write_mu_;  // one writer at a time in this process
};

}  // namespace herd

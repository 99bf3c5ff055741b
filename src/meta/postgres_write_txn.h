#pragma once
// WriteTxn on PostgreSQL: a transaction on a leased connection that first takes the pool-wide
// write lock (an advisory lock every Herd process on the database takes), so it excludes every
// other writer until it ends. A non-durable one commits with synchronous_commit off.
#include <memory>
#include <set>
#include <vector>

#include "meta/postgres_meta_store.h"
#include "meta/write_txn.h"

namespace herd {

class PostgresWriteTxn : public WriteTxn {
 public:
  PostgresWriteTxn(PostgresMetaStore& store, bool durable);
  ~PostgresWriteTxn() override;

  std::optional<BlobRecord> lock_blob(const std::string& sha256) override;
  void insert_pending_blob(const std::string& sha256, int64_t size, int64_t now_ms) override;
  void set_blob_state(const std::string& sha256, BlobState state, int64_t now_ms) override;
  void make_blob_live(const std::string& sha256, const BlobLocation& where, const std::string& md5) override;
  void add_reference(const std::string& sha256) override;
  void release_reference(const std::string& sha256, int64_t now_ms) override;
  void delete_blob(const std::string& sha256) override;
  bool bucket_exists(int64_t bucket_id) override;
  std::optional<std::string> write_object(const ObjectRecord& object) override;
  std::optional<std::string> delete_object(int64_t bucket_id, const std::string& key) override;
  DeletedTenant delete_tenant(int64_t tenant_id) override;
  std::vector<std::string> delete_multipart(const std::string& upload_id) override;
  void record_completed_multipart(const CompletedUpload& completed) override;
  void add_to_counter(const std::string& name, int64_t delta) override;
  bool is_taken_down(const std::string& sha256) override;
  void add_takedown(const Takedown& takedown) override;
  bool remove_takedown(const std::string& sha256) override;
  std::vector<std::pair<int64_t, std::string>> objects_of_blob(const std::string& sha256) override;
  void append_audit(const AuditEntry& entry) override;
  void begin_entry() override;
  void end_entry(bool keep) override;
  void commit() override;

 private:
  PostgresMetaStore& store_;
  PostgresMetaStore::Lease conn_;
  std::unique_ptr<PostgresMetaStore::Writing> tx_;
  std::vector<MetaChange> changes_;  // published to the other nodes with the commit
  bool release_pending_ = false;      // the last entry's savepoint is still open
  std::set<int64_t> known_buckets_;   // buckets this transaction saw exist
};

}  // namespace herd

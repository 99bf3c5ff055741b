#pragma once
// WriteTxn on SQLite: BEGIN IMMEDIATE on a leased connection, holding the store's in-process
// write mutex (SQLite's own lock excludes other processes). A non-durable transaction commits
// with synchronous=OFF: its WAL frames reach the disk with the next durable commit's sync.
#include <memory>
#include <mutex>

#include "meta/sqlite_meta_store.h"
#include "meta/write_txn.h"

namespace herd {

class SqliteWriteTxn : public WriteTxn {
 public:
  SqliteWriteTxn(SqliteMetaStore& store, bool durable);
  ~SqliteWriteTxn() override;

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
  // Adds to the bucket owner's TenantUsage; throws QuotaExceededError when growing past a quota.
  void adjust_usage(int64_t bucket_id, int64_t objects, int64_t bytes);

  SqliteMetaStore::Lease conn_;
  std::unique_lock<std::mutex> lock_;
  bool durable_;
  std::unique_ptr<sqlite::Transaction> tx_;
};

}  // namespace herd

#pragma once
// The rules that tie objects to blobs, decided here once for every metadata backend (written over
// WriteTxn): deduplication, reference counts, and the two-phase placement that keeps blob I/O out
// of every database transaction.
//
// Committing objects whose bytes are new takes two transactions around the placement:
//   1. reserve (not durable): a blob row with no live reference becomes `pending`, so GC leaves it
//      alone; a live, referenced blob needs nothing placed;
//   2. the bytes are made durable at their location (BlobStore::place_many), outside any
//      transaction;
//   3. commit (durable): the row becomes live with the new reference and the object row is
//      written, releasing the reference of the object it replaces.
// Bytes an operator took down are refused at step 1 (TakenDownError for that entry).
// A crash between the steps leaves a pending row, bytes no row names, or both: garbage that GC
// (after kPendingTimeout) and fsck remove, never a row without bytes. An entry that meets a row GC
// is deleting waits for it to go and places the bytes again; one whose blob lost its last
// reference between the steps places its bytes after all.
// Thread-safe: every call runs its own transactions.
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "blob/blob_store.h"
#include "meta/meta_store.h"

namespace herd {

// Outcome of committing one object.
struct PutOutcome {
  bool deduplicated = false;  // the blob already had live references; no bytes were placed
};

// One object commit of a group (ObjectCommits::commit).
struct PendingPut {
  ObjectRecord object;
  TempBlob* temp = nullptr;  // its bytes, placed when the blob has no live reference
  std::string md5;           // raw MD5 of those bytes, recorded on the blob row they make live
  // Runs inside the commit transaction, after the object row is written (e.g. ends the multipart
  // upload the object completes); an exception fails this entry alone.
  std::function<void(WriteTxn&)> also;
  PutOutcome outcome;        // set when this put committed
  std::exception_ptr error;  // set when this put failed alone (e.g. NoSuchBucketError)
};

class ObjectCommits {
 public:
  // A pending row older than this was abandoned (its placer crashed or gave up): GC may claim it.
  static constexpr std::chrono::hours kPendingTimeout{1};

  ObjectCommits(MetaStore& meta, BlobStore& blobs) : meta_(meta), blobs_(blobs) {}

  // Commits every entry: each gets its outcome or its own error. Blocks until durable. Throws,
  // having committed nothing, when the first round fails as a whole (its bytes cannot be placed,
  // the database fails); a later round failing fails the entries it held.
  void commit(std::vector<PendingPut>& puts);
  // commit() of one entry; returns its outcome or throws its error.
  PutOutcome commit_one(const ObjectRecord& object, TempBlob& temp, const std::string& md5,
                        std::function<void(WriteTxn&)> also = {});
  // Commits `object` as another reference to the blob its sha256 names (CopyObject), in one
  // durable transaction with `also`; false when that blob has no live reference, so no bytes to
  // trust. Throws NoSuchBucketError.
  bool reference(const ObjectRecord& object, std::function<void(WriteTxn&)> also = {});
  // Deletes (bucket, key) and releases its reference; false when absent.
  bool remove(int64_t bucket_id, const std::string& key);
  // Deletes every listed key that exists, in one transaction.
  void remove_many(int64_t bucket_id, const std::vector<std::string>& keys);
  // Deletes a tenant with everything it owns, releasing every reference; returns the staging
  // handles of its multipart parts, for the caller to remove.
  std::vector<std::string> remove_tenant(int64_t tenant_id);

 private:
  // How an entry stands after the reserve step.
  enum class Step { kDone, kReference, kPlace, kWait };
  // One round of the three steps over the entries at `indexes`; returns those to try again.
  std::vector<size_t> round(std::vector<PendingPut>& puts, const std::vector<size_t>& indexes);
  // Rows step 1 made pending: created, or taken from live at zero references.
  struct Reserved {
    std::string sha256;
    bool created;
  };
  // Step 1 for one entry (inside the reserve transaction); records a row it made pending.
  static Step reserve(WriteTxn& txn, const PendingPut& put, int64_t now, std::vector<Reserved>& reserved);
  // After a round failed: rows it made pending and nobody committed since go back to what they
  // were (a row it created is dropped; a taken one is live at zero references again, so GC
  // removes whatever bytes it may have placed).
  void undo(const std::vector<Reserved>& reserved);
  // Steps 2 and 3 of a round: appends to `retry` the entries to try again.
  void commit_reserved(std::vector<PendingPut>& puts, const std::vector<size_t>& indexes,
                       const std::vector<Step>& steps, std::vector<size_t>& retry, int64_t now);
  // Writes the object row and its side effects, releasing the replaced object's reference.
  static void write_object(WriteTxn& txn, PendingPut& put, int64_t now);

  MetaStore& meta_;
  BlobStore& blobs_;
};

}  // namespace herd

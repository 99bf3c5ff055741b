#pragma once
// A node's hot cache of blobs whose durable copy is elsewhere (the S3 blob backend): files under
// <dir>/<hex[0:2]>/<hex[2:4]>/<64-hex>, at most `capacity` bytes in all, the least recently used
// leaving first. Blobs are content-addressed, so an entry never needs invalidation; a blob the
// pool deleted is dropped with erase(). Files are synced before they are renamed into place, so a
// crash never leaves a cache entry with other bytes than its name says. Concurrent misses for
// one blob are fetched once: the others wait for that fetch. Only one process may use a cache
// directory (the server, under its data directory's lock). Thread-safe.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "blob/blob_store.h"
#include "blob/open_file_cache.h"
#include "blob/temp_file.h"

namespace herd {

class BlobCache {
 public:
  // Fills `file` with the blob's verified bytes; false when the blob does not exist. Throws
  // on failure (nothing is cached then).
  using Fetch = std::function<bool(TempFile& file)>;

  // Creates `dir` if needed and indexes what it holds (oldest access first).
  BlobCache(std::string dir, int64_t capacity);
  ~BlobCache();

  // The cached blob (raw 32-byte digest); on a miss, fetch() fills it first. nullptr when the
  // blob does not exist. With capacity 0 nothing stays cached: the fetched file is read unlinked.
  std::unique_ptr<BlobReader> open(const std::string& sha256, const Fetch& fetch);
  // The cached blob, or nullptr on a miss (never fetches, never blocks on the network).
  std::unique_ptr<BlobReader> open_cached(const std::string& sha256);
  // A file in the cache's tmp directory, for fetch() or adopt().
  std::unique_ptr<TempFile> create_temp();
  // Makes `file` (holding exactly the blob's bytes) the cache entry for `sha256`: synced and
  // renamed into place. Never throws: a cache that cannot take it simply does not.
  void adopt(const std::string& sha256, TempFile& file);
  // Drops the entry; absent entries are fine.
  void erase(const std::string& sha256);

  // Bytes and entries held now.
  int64_t bytes() const;
  size_t entries() const;

 private:
  struct Entry {
    int64_t size = 0;
    std::list<std::string>::iterator lru;  // position in lru_ (front = most recently used)
  };
  struct Inflight {
    bool done = false;
    std::condition_variable cv;
  };
  std::string path_of(const std::string& hex) const;
  // Renames `file` into place and accounts for it, evicting as needed. Caller holds mu_.
  void insert_locked(const std::string& sha256, TempFile& file);
  void evict_locked();
  void index_existing();

  const std::string dir_;
  const std::string tmp_dir_;
  const int64_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;
  int64_t bytes_ = 0;
  std::unordered_map<std::string, std::shared_ptr<Inflight>> inflight_;
  OpenFileCache open_files_;
};

}  // namespace herd

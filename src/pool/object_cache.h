#pragma once
// A bounded in-memory cache of the lookups public reads make: bucket by name, and object by
// (bucket id, key), including "no such key". Entries expire after a short TTL (which bounds
// staleness from other processes, such as `herd tenant delete`); the pool invalidates them at
// once on every change it makes. Thread-safe.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "meta/types.h"

namespace herd {

class ObjectCache {
 public:
  ObjectCache(size_t capacity, std::chrono::milliseconds ttl) : capacity_(capacity), ttl_(ttl) {}

  // Read the epoch before reading the metadata store, and pass it to put_*: a fill is dropped
  // when an invalidation happened in between, so a stale read is never cached.
  uint64_t epoch();

  std::optional<Bucket> bucket(const std::string& name);
  void put_bucket(const Bucket& bucket, uint64_t read_epoch);
  // Outer nullopt: not cached. Inner nullopt: cached as absent.
  std::optional<std::optional<ObjectRecord>> object(int64_t bucket_id, const std::string& key);
  void put_object(int64_t bucket_id, const std::string& key, std::optional<ObjectRecord> object, uint64_t read_epoch);

  void invalidate_object(int64_t bucket_id, const std::string& key);
  // Forgets the bucket and everything cached under it.
  void invalidate_bucket(int64_t bucket_id);
  // Forgets everything.
  void clear();

 private:
  using Clock = std::chrono::steady_clock;
  template <typename T>
  struct Entry {
    T value;
    Clock::time_point expires;
  };
  static std::string object_key(int64_t bucket_id, const std::string& key);
  // Keeps the cache bounded: drops everything when full (simple, and a cache refills fast).
  template <typename Map>
  void make_room(Map& map);

  const size_t capacity_;
  const std::chrono::milliseconds ttl_;
  std::mutex mu_;
  uint64_t epoch_ = 0;  // bumped by every invalidation
  std::unordered_map<std::string, Entry<Bucket>> buckets_;
  std::unordered_map<std::string, Entry<std::optional<ObjectRecord>>> objects_;
};

}  // namespace herd

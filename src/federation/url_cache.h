#pragma once
// The URL→blob cache behind retrieve's "cached" result: which blob a URL served when this node
// last fetched it, for `ttl`. Entries are hints: a caller re-checks that the blob still exists
// before trusting one. At most `capacity` entries (the oldest go first). Thread-safe.
#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace herd::federation {

class UrlCache {
 public:
  struct Entry {
    std::string sha256;        // raw
    std::string content_type;  // what the origin said the bytes were
  };

  UrlCache(std::chrono::seconds ttl, size_t capacity) : ttl_(ttl), capacity_(capacity) {}

  // The entry for `url` if it was stored less than ttl ago.
  std::optional<Entry> find(const std::string& url);
  void put(const std::string& url, Entry entry);
  // Forgets `url` (its blob turned out to be gone).
  void forget(const std::string& url);

 private:
  struct Slot {
    Entry entry;
    std::chrono::steady_clock::time_point stored;
    std::list<std::string>::iterator order;
  };
  const std::chrono::seconds ttl_;
  const size_t capacity_;
  std::mutex mu_;
  std::unordered_map<std::string, Slot> slots_;
  std::list<std::string> order_;  // oldest first
};

}  // namespace herd::federation

#pragma once
// Recently opened blob files, kept open for a few seconds so hot reads skip the path walk of
// open(2), and close(2). Blobs are immutable and content-addressed, so a cached descriptor always
// reads the right bytes. The store drops an entry when it removes or quarantines that blob, and
// reopens one whose file lost its last link (unlinked or replaced by anyone); entries also expire
// after `ttl`, which bounds how long a blob moved aside by another process (herd fsck --repair)
// is still served. Pack files are cached the same way (their records never change either).
// Thread-safe.
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace herd {

// An open, read-only file; closed when the last holder lets go.
struct OpenFile {
  OpenFile(int fd, int64_t size) : fd(fd), size(size) {}
  ~OpenFile();
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  const int fd;
  const int64_t size;
};

class OpenFileCache {
 public:
  OpenFileCache(size_t capacity, std::chrono::milliseconds ttl) : capacity_(capacity), ttl_(ttl) {}

  // The cached file for `key`, or nullptr.
  std::shared_ptr<const OpenFile> get(const std::string& key);
  void put(const std::string& key, std::shared_ptr<const OpenFile> file);
  void erase(const std::string& key);

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    std::shared_ptr<const OpenFile> file;
    Clock::time_point expires;
  };
  const size_t capacity_;
  const std::chrono::milliseconds ttl_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace herd

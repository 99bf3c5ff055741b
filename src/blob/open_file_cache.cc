#include "blob/open_file_cache.h"

#include <unistd.h>

namespace herd {

OpenFile::~OpenFile() { ::close(fd); }

std::shared_ptr<const OpenFile> OpenFileCache::get(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  if (it->second.expires <= Clock::now()) {
    entries_.erase(it);
    return nullptr;
  }
  return it->second.file;
}

void OpenFileCache::put(const std::string& key, std::shared_ptr<const OpenFile> file) {
  const auto now = Clock::now();
  std::lock_guard lock(mu_);
  if (entries_.size() >= capacity_) {
    std::erase_if(entries_, [&](const auto& kv) { return kv.second.expires <= now; });
    if (entries_.size() >= capacity_) entries_.clear();  // all fresh: start over (refills fast)
  }
  entries_[key] = Entry{std::move(file), now + ttl_};
}

void OpenFileCache::erase(const std::string& key) {
  std::lock_guard lock(mu_);
  entries_.erase(key);
}

}  // namespace herd

#include "blob/blob_cache.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <spdlog/spdlog.h>
#include <vector>

#include "blob/file_ops.h"
#include "blob/file_reader.h"
#include "util/hex.h"

namespace herd {

namespace {

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return names;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(d);
  return names;
}

}  // namespace

BlobCache::BlobCache(std::string dir, int64_t capacity)
    : dir_(std::move(dir)), tmp_dir_(dir_ + "/tmp"), capacity_(capacity), open_files_(1024, std::chrono::seconds(10)) {
  file_ops::make_dir(dir_);
  file_ops::make_dir(tmp_dir_);
  for (const auto& name : names_in(tmp_dir_)) ::unlink((tmp_dir_ + "/" + name).c_str());
  index_existing();
}

BlobCache::~BlobCache() = default;

std::string BlobCache::path_of(const std::string& hex) const {
  return dir_ + "/" + hex.substr(0, 2) + "/" + hex.substr(2, 2) + "/" + hex;
}

void BlobCache::index_existing() {
  struct Found {
    std::string sha256;
    int64_t size;
    int64_t mtime;
  };
  std::vector<Found> found;
  for (const auto& a : names_in(dir_)) {
    if (a.size() != 2) continue;  // tmp
    for (const auto& b : names_in(dir_ + "/" + a)) {
      for (const auto& name : names_in(dir_ + "/" + a + "/" + b)) {
        std::string path = dir_ + "/" + a + "/" + b + "/" + name;
        struct stat st;
        auto sha = from_hex(name);
        if (!is_lower_hex(name, 64) || !sha || name.compare(0, 2, a) != 0 || name.compare(2, 2, b) != 0 ||
            ::stat(path.c_str(), &st) != 0) {
          ::unlink(path.c_str());
          continue;
        }
        found.push_back({*sha, static_cast<int64_t>(st.st_size), static_cast<int64_t>(st.st_mtime)});
      }
    }
  }
  std::sort(found.begin(), found.end(), [](const Found& x, const Found& y) { return x.mtime < y.mtime; });
  std::lock_guard lock(mu_);
  for (auto& f : found) {
    lru_.push_front(f.sha256);
    entries_[f.sha256] = {f.size, lru_.begin()};
    bytes_ += f.size;
  }
  evict_locked();
}

std::unique_ptr<TempFile> BlobCache::create_temp() { return std::make_unique<TempFile>(tmp_dir_); }

std::unique_ptr<BlobReader> BlobCache::open_cached(const std::string& sha256) {
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(sha256);
    if (it == entries_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  if (auto cached = open_files_.get(sha256)) {
    struct stat st;
    if (::fstat(cached->fd, &st) == 0 && st.st_nlink > 0) return reader_of(std::move(cached));
    open_files_.erase(sha256);
  }
  if (auto file = open_file(path_of(to_hex(sha256)))) {
    open_files_.put(sha256, file);
    return reader_of(std::move(file));
  }
  // The file went away (by hand): forget the entry, so the next open fetches it again.
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(sha256); it != entries_.end()) {
    bytes_ -= it->second.size;
    lru_.erase(it->second.lru);
    entries_.erase(it);
  }
  return nullptr;
}

std::unique_ptr<BlobReader> BlobCache::open(const std::string& sha256, const Fetch& fetch) {
  std::unique_lock lock(mu_);
  while (true) {
    if (entries_.count(sha256)) {
      lock.unlock();
      if (auto hit = open_cached(sha256)) return hit;
      lock.lock();  // the entry was dropped meanwhile: fetch it
      continue;
    }
    if (auto in = inflight_.find(sha256); in != inflight_.end()) {
      auto waiting = in->second;
      waiting->cv.wait(lock, [&] { return waiting->done; });
      continue;  // hit now, or the fetch failed: then this caller tries itself
    }
    break;
  }
  auto mine = std::make_shared<Inflight>();
  inflight_[sha256] = mine;
  lock.unlock();
  auto finish = [&] {
    std::lock_guard relock(mu_);
    mine->done = true;
    inflight_.erase(sha256);
    mine->cv.notify_all();
  };
  std::unique_ptr<BlobReader> reader;
  try {
    auto temp = create_temp();
    if (fetch(*temp)) {
      reader = reader_of(open_file(temp->path()));  // read through this descriptor, whatever eviction does
      if (capacity_ > 0) {
        temp->sync();
        std::lock_guard relock(mu_);
        insert_locked(sha256, *temp);
      }
    }
  } catch (...) {
    finish();
    throw;
  }
  finish();
  return reader;
}

void BlobCache::adopt(const std::string& sha256, TempFile& file) {
  if (capacity_ <= 0) return;
  try {
    file.sync();
    std::lock_guard lock(mu_);
    if (entries_.count(sha256)) return;
    insert_locked(sha256, file);
  } catch (const std::exception& e) {
    spdlog::warn("blob cache: cannot keep a copy: {}", e.what());
  }
}

void BlobCache::insert_locked(const std::string& sha256, TempFile& file) {
  const std::string hex = to_hex(sha256);
  std::string first = dir_ + "/" + hex.substr(0, 2);
  file_ops::make_dir(first);
  file_ops::make_dir(first + "/" + hex.substr(2, 2));
  std::string to = path_of(hex);
  if (::rename(file.path().c_str(), to.c_str()) != 0) file_ops::fail("rename " + file.path() + " -> " + to);
  file.mark_placed(to);
  if (entries_.count(sha256)) return;  // replaced identical bytes
  lru_.push_front(sha256);
  entries_[sha256] = {file.size(), lru_.begin()};
  bytes_ += file.size();
  evict_locked();
}

void BlobCache::evict_locked() {
  while (bytes_ > capacity_ && !lru_.empty()) {
    const std::string sha256 = lru_.back();
    lru_.pop_back();
    auto it = entries_.find(sha256);
    bytes_ -= it->second.size;
    entries_.erase(it);
    open_files_.erase(sha256);
    ::unlink(path_of(to_hex(sha256)).c_str());  // open readers keep their descriptors
  }
}

void BlobCache::erase(const std::string& sha256) {
  std::lock_guard lock(mu_);
  open_files_.erase(sha256);
  ::unlink(path_of(to_hex(sha256)).c_str());
  auto it = entries_.find(sha256);
  if (it == entries_.end()) return;
  bytes_ -= it->second.size;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

int64_t BlobCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

size_t BlobCache::entries() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace herd

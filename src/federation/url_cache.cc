#include "federation/url_cache.h"

namespace herd::federation {

std::optional<UrlCache::Entry> UrlCache::find(const std::string& url) {
  std::lock_guard lock(mu_);
  auto it = slots_.find(url);
  if (it == slots_.end()) return std::nullopt;
  if (std::chrono::steady_clock::now() - it->second.stored >= ttl_) {
    order_.erase(it->second.order);
    slots_.erase(it);
    return std::nullopt;
  }
  return it->second.entry;
}

void UrlCache::put(const std::string& url, Entry entry) {
  if (ttl_.count() <= 0 || capacity_ == 0) return;
  std::lock_guard lock(mu_);
  if (auto it = slots_.find(url); it != slots_.end()) {
    order_.erase(it->second.order);
    slots_.erase(it);
  }
  while (slots_.size() >= capacity_) {
    slots_.erase(order_.front());
    order_.pop_front();
  }
  order_.push_back(url);
  slots_.emplace(url, Slot{std::move(entry), std::chrono::steady_clock::now(), std::prev(order_.end())});
}

void UrlCache::forget(const std::string& url) {
  std::lock_guard lock(mu_);
  auto it = slots_.find(url);
  if (it == slots_.end()) return;
  order_.erase(it->second.order);
  slots_.erase(it);
}

}  // namespace herd::federation

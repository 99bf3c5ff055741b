#include "pool/tenant_cache.h"

namespace herd {

std::optional<Tenant> TenantCache::by_access_key(const std::string& access_key) {
  uint64_t epoch;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(access_key);
    if (it != entries_.end() && Clock::now() < it->second.expires) return it->second.tenant;
    epoch = epoch_;
  }
  auto tenant = tenants_.tenant_by_access_key(access_key);
  std::lock_guard lock(mu_);
  if (epoch != epoch_) return tenant;
  if (entries_.size() >= capacity_) entries_.clear();  // a cache refills fast
  entries_[access_key] = {tenant, Clock::now() + (tenant ? ttl_ : std::chrono::milliseconds(kNegativeTtl))};
  return tenant;
}

void TenantCache::invalidate() {
  std::lock_guard lock(mu_);
  ++epoch_;
  entries_.clear();
}

}  // namespace herd

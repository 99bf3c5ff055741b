#pragma once
// Tenants by access key, cached so that authenticating a request does not query the metadata
// store: hits are served for `ttl`, unknown keys are remembered for a second (so a flood of
// random keys does not reach the store either). The pool invalidates on the changes it makes;
// the TTL bounds what another process (the CLI) changed. Bounded; thread-safe.
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "meta/tenant_rows.h"

namespace herd {

class TenantCache {
 public:
  TenantCache(TenantRows& tenants, size_t capacity, std::chrono::milliseconds ttl)
      : tenants_(tenants), capacity_(capacity), ttl_(ttl) {}

  // The tenant holding `access_key`, from the cache or the store.
  std::optional<Tenant> by_access_key(const std::string& access_key);
  // Forgets everything (after a tenant is deleted or its keys change).
  void invalidate();

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    std::optional<Tenant> tenant;
    Clock::time_point expires;
  };
  static constexpr std::chrono::seconds kNegativeTtl{1};

  TenantRows& tenants_;
  const size_t capacity_;
  const std::chrono::milliseconds ttl_;
  std::mutex mu_;
  uint64_t epoch_ = 0;  // bumped by invalidate(): a lookup that raced one is not cached
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace herd

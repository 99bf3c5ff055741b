// Tests for pool/tenant_cache.h over a counting fake store: hits stay off the store until they
// expire, unknown keys are remembered briefly, and invalidate() forgets everything.
#include "pool/tenant_cache.h"

#include <gtest/gtest.h>

#include <map>
#include <thread>

namespace herd {
namespace {

class FakeTenants : public TenantRows {
 public:
  bool create_tenant(Tenant& t) override {
    by_key[t.access_key] = t;
    return true;
  }
  std::optional<Tenant> tenant_by_access_key(const std::string& key) override {
    ++lookups;
    auto it = by_key.find(key);
    if (it == by_key.end()) return std::nullopt;
    return it->second;
  }
  std::optional<Tenant> tenant_by_name(const std::string&) override { return std::nullopt; }
  std::optional<Tenant> tenant_by_id(int64_t) override { return std::nullopt; }
  std::vector<Tenant> list_tenants() override { return {}; }
  int64_t count_buckets(int64_t) override { return 0; }
  TenantUsage tenant_usage(int64_t) override { return {}; }
  void set_tenant_quota(int64_t, std::optional<int64_t>, std::optional<int64_t>) override {}
  std::map<std::string, Tenant> by_key;
  int lookups = 0;
};

TEST(TenantCache, HitsStayOffTheStoreUntilTheyExpire) {
  FakeTenants store;
  Tenant t{7, "alice", "AK1", "secret", 0};
  store.create_tenant(t);
  TenantCache cache(store, 100, std::chrono::milliseconds(50));
  EXPECT_EQ(cache.by_access_key("AK1")->name, "alice");
  EXPECT_EQ(cache.by_access_key("AK1")->id, 7);
  EXPECT_EQ(store.lookups, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  EXPECT_TRUE(cache.by_access_key("AK1"));
  EXPECT_EQ(store.lookups, 2);
}

TEST(TenantCache, UnknownKeysAreRememberedBrieflyAndInvalidateForgets) {
  FakeTenants store;
  TenantCache cache(store, 100, std::chrono::seconds(60));
  EXPECT_FALSE(cache.by_access_key("nobody"));
  EXPECT_FALSE(cache.by_access_key("nobody"));
  EXPECT_EQ(store.lookups, 1);
  Tenant t{1, "bob", "nobody", "s", 0};
  store.create_tenant(t);
  cache.invalidate();
  EXPECT_EQ(cache.by_access_key("nobody")->name, "bob");
  store.by_key.clear();  // deleted behind the cache's back: served until invalidated
  EXPECT_TRUE(cache.by_access_key("nobody"));
  cache.invalidate();
  EXPECT_FALSE(cache.by_access_key("nobody"));
}

TEST(TenantCache, StaysBounded) {
  FakeTenants store;
  TenantCache cache(store, 3, std::chrono::seconds(60));
  for (int i = 0; i < 10; ++i) cache.by_access_key("k" + std::to_string(i));
  const int before = store.lookups;
  cache.by_access_key("k9");
  EXPECT_EQ(store.lookups, before);  // the newest entries are kept
  cache.by_access_key("k0");
  EXPECT_EQ(store.lookups, before + 1);
}

}  // namespace
}  // namespace herd

#pragma once
// Metadata: tenants (one per instance), found by name or access key. Thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "meta/types.h"

namespace herd {

class TenantRows {
 public:
  virtual ~TenantRows() = default;
  // Creates a tenant (filling in its id and creation time); false when the name or access key is
  // taken.
  virtual bool create_tenant(Tenant& tenant) = 0;
  virtual std::optional<Tenant> tenant_by_access_key(const std::string& access_key) = 0;
  virtual std::optional<Tenant> tenant_by_name(const std::string& name) = 0;
  // The tenant with this id (e.g. a bucket's owner), if it exists.
  virtual std::optional<Tenant> tenant_by_id(int64_t id) = 0;
  virtual std::vector<Tenant> list_tenants() = 0;
  // What the tenant stores, and its quotas (zeros and none for a tenant without objects).
  virtual TenantUsage tenant_usage(int64_t tenant_id) = 0;
  // Sets (or, with nullopt, removes) the tenant's quotas.
  virtual void set_tenant_quota(int64_t tenant_id, std::optional<int64_t> objects, std::optional<int64_t> bytes) = 0;
  // Number of buckets the tenant owns.
  virtual int64_t count_buckets(int64_t tenant_id) = 0;
  // (Deleting a tenant releases blob references: WriteTxn::delete_tenant, through the pool.)
};

}  // namespace herd

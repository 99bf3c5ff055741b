#include "pool/tenants.h"

#include <stdexcept>

#include "util/random.h"

namespace herd {

bool valid_tenant_name(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front())) return false;
  for (char c : name)
    if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

Tenant create_tenant(MetaStore& meta, const std::string& name) {
  if (!valid_tenant_name(name))
    throw std::runtime_error("invalid tenant name '" + name + "': use 1-63 of a-z 0-9 . _ -, starting with a letter or digit");
  for (int attempt = 0; attempt < 3; ++attempt) {
    Tenant t;
    t.name = name;
    t.access_key = "HRD" + random_string(17, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
    t.secret_key = random_string(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
    if (meta.create_tenant(t)) return t;
    if (meta.tenant_by_name(name)) throw std::runtime_error("tenant '" + name + "' already exists");
  }
  throw std::runtime_error("could not allocate a unique access key");
}

}  // namespace herd

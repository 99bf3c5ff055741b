#pragma once
// Tenant administration rules: valid names and fresh credentials.
#include <optional>
#include <string>

#include "meta/meta_store.h"

namespace herd {

// 1–63 characters of a-z 0-9 . _ -, starting with a letter or digit.
bool valid_tenant_name(const std::string& name);

// Creates a tenant with a new 20-character access key and 40-character secret.
// Throws std::runtime_error when the name is invalid or taken.
Tenant create_tenant(MetaStore& meta, const std::string& name);

}  // namespace herd

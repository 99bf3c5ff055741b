#pragma once
// Which metadata backend a pool uses, and how to reach it ([meta] in the config file). The
// defaults here are the documented ones (herd.example.toml).
#include <cstdint>
#include <string>

namespace herd {

struct MetaOptions {
  // [meta] backend: "sqlite" (the embedded default: <data_dir>/herd.db) or "postgres".
  std::string backend = "sqlite";
  // [meta] url (or $HERD_META_URL): a libpq connection string or postgresql:// URL. libpq's own
  // environment (PGPASSWORD, PGPASSFILE, PGSSLMODE, …) applies too.
  std::string url;
  // [meta] connections: connections each Herd process keeps open at most.
  int64_t connections = 16;
  bool operator==(const MetaOptions&) const = default;
};

}  // namespace herd

#include "meta/open_meta_store.h"

#include <stdexcept>

#include "meta/postgres_meta_store.h"
#include "meta/sqlite_meta_store.h"

namespace herd {

std::unique_ptr<MetaStore> open_meta_store(const MetaOptions& options, const std::string& data_dir) {
  if (options.backend == "sqlite") return std::make_unique<SqliteMetaStore>(data_dir + "/herd.db");
  if (options.backend == "postgres") {
    if (options.url.empty()) throw std::runtime_error("[meta] backend \"postgres\" needs [meta] url");
    return std::make_unique<PostgresMetaStore>(options.url,
                                               static_cast<size_t>(options.connections));
  }
  throw std::runtime_error("[meta] backend must be \"sqlite\" or \"postgres\", not \"" + options.backend + "\"");
}

}  // namespace herd

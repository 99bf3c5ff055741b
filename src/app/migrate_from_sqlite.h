#pragma once
// `herd migrate --from-sqlite DATA --to URL`: moves an embedded pool's metadata (DATA/herd.db)
// into an empty PostgreSQL database, so the pool runs on [meta] backend = "postgres" with the same
// data directory (its blobs and packs stay where they are). Every row of every table is copied in
// one PostgreSQL transaction: either the whole pool arrives, or nothing does. The source is only
// read; it must not be in use (no server, no `herd gc` on DATA).
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace herd {

// Rows copied per table, in copy order.
using MigrationReport = std::vector<std::pair<std::string, int64_t>>;

// Called now and then during the copy: table, rows done, rows in that table.
using MigrationProgress = std::function<void(const std::string& table, int64_t done, int64_t total)>;

// Throws std::runtime_error with a clear message (source missing or in use, target not empty,
// a database failing); the target is then unchanged.
MigrationReport migrate_from_sqlite(const std::string& data_dir, const std::string& postgres_url,
                                    const MigrationProgress& progress);

}  // namespace herd

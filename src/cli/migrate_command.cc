// herd migrate: brings the configured metadata up to the current schema (what every start does
// anyway), or with --from-sqlite/--to moves an embedded pool's metadata onto PostgreSQL.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include "app/data_dir.h"
#include "app/migrate_from_sqlite.h"
#include "cli/commands.h"

namespace herd::cli {

void add_migrate_command(CLI::App& app, Common& common) {
  static std::optional<std::string> from, to;
  auto* cmd = app.add_subcommand(
      "migrate", "Bring the metadata schema up to date, or move an embedded pool's metadata onto PostgreSQL");
  cmd->add_option("--from-sqlite", from, "Data directory of the embedded pool to move (its herd.db; blobs stay there)");
  cmd->add_option("--to", to, "PostgreSQL URL or connection string of an empty database (or $HERD_META_URL)");
  add_common_options(*cmd, common);
  cmd->callback([&] {
    if (!from) {
      if (to) throw std::runtime_error("--to needs --from-sqlite");
      Config c = common.load();
      DataDir dir(c.data_dir, c.meta, c.blobs);  // opening migrates
      std::cout << "migrate: the " << c.meta.backend << " metadata of " << c.data_dir << " is up to date\n";
      return;
    }
    std::string url = to ? *to : "";
    if (url.empty())
      if (const char* env = std::getenv("HERD_META_URL")) url = env;
    if (url.empty()) throw std::runtime_error("--from-sqlite needs --to URL (or $HERD_META_URL)");
    const bool terminal = ::isatty(STDERR_FILENO);
    auto report = migrate_from_sqlite(*from, url, [&](const std::string& table, int64_t done, int64_t total) {
      if (terminal) std::cerr << "\r" << table << ": " << done << " / " << total << " rows" << std::flush;
      else if (done == total) std::cerr << table << ": " << done << " rows\n";
      if (terminal && done == total) std::cerr << "\n";
    });
    int64_t rows = 0;
    for (const auto& [table, n] : report) rows += n;
    std::cout << "migrate: moved " << rows << " rows of " << *from
              << " onto PostgreSQL; run the pool with [meta] backend = \"postgres\" and the same data directory, "
                 "then check it with herd fsck\n";
  });
}

}  // namespace herd::cli

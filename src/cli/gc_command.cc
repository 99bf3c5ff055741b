// herd gc
#include <iostream>

#include "cli/commands.h"
#include "app/data_dir.h"

namespace herd::cli {

void add_gc_command(CLI::App& app, Common& common) {
  static std::optional<int64_t> grace;
  auto* cmd = app.add_subcommand("gc", "Remove blobs no object references (after the grace period) now");
  cmd->add_option("--grace", grace, "Seconds a blob must have been unreferenced (default: [gc] grace_seconds)")
      ->check(CLI::NonNegativeNumber);
  add_common_options(*cmd, common);
  cmd->callback([&] {
    Config c = common.load();
    DataDir dir(c.data_dir, c.meta, c.blobs);
    GcReport r = dir.gc(grace.value_or(c.gc_grace_seconds) * 1000, c.gc_claim_lease_seconds * 1000);
    std::cout << "gc: removed " << r.blobs_removed << " blob(s), freed " << r.bytes_freed << " bytes; deleted "
              << r.packs_removed << " pack(s), moving " << r.blobs_repacked << " live blob(s)\n";
  });
}

}  // namespace herd::cli

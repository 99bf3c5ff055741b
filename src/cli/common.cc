#include "cli/commands.h"

namespace herd::cli {

Config Common::load() const {
  Config c = load_config(config_file);
  if (data_dir) c.data_dir = *data_dir;
  return c;
}

void add_common_options(CLI::App& cmd, Common& common) {
  cmd.add_option("--config", common.config_file, "TOML configuration file (all settings and defaults: herd.example.toml)");
  cmd.add_option("--data", common.data_dir, "Data directory (overrides [storage] data_dir; default ./herd-data)");
}

}  // namespace herd::cli

#pragma once
// The `herd` subcommands. Each registers itself on the CLI11 app and runs against a data
// directory given by the shared --config/--data options.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "config/config.h"

namespace herd::cli {

// Options every subcommand accepts.
struct Common {
  std::optional<std::string> config_file;
  std::optional<std::string> data_dir;
  // The config file (if any) with --data applied over it.
  Config load() const;
};

// Adds --config and --data to a subcommand.
void add_common_options(CLI::App& cmd, Common& common);

void add_serve_command(CLI::App& app, Common& common);
void add_tenant_commands(CLI::App& app, Common& common);
void add_stats_command(CLI::App& app, Common& common);
void add_gc_command(CLI::App& app, Common& common);
void add_fsck_command(CLI::App& app, Common& common);
void add_bench_command(CLI::App& app, Common& common);
void add_migrate_command(CLI::App& app, Common& common);
void add_retrieve_command(CLI::App& app, Common& common);
void add_recover_command(CLI::App& app, Common& common);
void add_takedown_command(CLI::App& app, Common& common);

}  // namespace herd::cli

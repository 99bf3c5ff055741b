// herd: a shared, deduplicating S3 media server for the Fediverse.
#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
  // A peer closing mid-sendfile must fail that request, not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"Herd: a shared, deduplicated S3 media server for Fediverse instances"};
  app.set_version_flag("--version", HERD_VERSION);
  app.require_subcommand(1);
  herd::cli::Common common;
  herd::cli::add_serve_command(app, common);
  herd::cli::add_tenant_commands(app, common);
  herd::cli::add_stats_command(app, common);
  herd::cli::add_gc_command(app, common);
  herd::cli::add_fsck_command(app, common);
  herd::cli::add_bench_command(app, common);
  herd::cli::add_migrate_command(app, common);
  herd::cli::add_retrieve_command(app, common);
  herd::cli::add_recover_command(app, common);
  herd::cli::add_takedown_command(app, common);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cerr << "herd: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

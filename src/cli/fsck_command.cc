// herd fsck
#include <nlohmann/json.hpp>

#include <iostream>

#include "cli/commands.h"
#include "app/data_dir.h"
#include "federation/peers.h"
#include "pool/fsck.h"
#include "util/hex.h"

namespace herd::cli {

void add_fsck_command(CLI::App& app, Common& common) {
  static bool repair = false;
  static bool json = false;
  static int64_t stale_after = 3600;
  auto* cmd = app.add_subcommand("fsck", "Check blobs against their SHA-256 and the metadata; --repair fixes what it can");
  cmd->add_flag("--repair", repair,
                "Recount references, quarantine corrupt blobs, fetch missing and corrupt ones again from the "
                "[[federation.peer]]s (verified), remove leftovers and orphans");
  cmd->add_flag("--json", json, "Print the report as JSON");
  cmd->add_option("--stale-after", stale_after, "Seconds before an untouched temp or staged file counts as leftover")
      ->check(CLI::NonNegativeNumber);
  add_common_options(*cmd, common);
  cmd->callback([&] {
    Config c = common.load();
    DataDir dir(c.data_dir, c.meta, c.blobs);
    FsckOptions options;
    options.repair = repair;
    options.stale_after = std::chrono::seconds(stale_after);
    federation::Fetcher fetcher(c.fetch);
    federation::Peers peers(fetcher, c.federation_peers);
    if (!peers.empty())
      options.refetch = [&](const BlobRecord& b) {
        auto got = peers.fetch(dir.pool(), b.sha256);
        if (!got) return false;
        dir.pool().restore_blob(*got->upload);
        std::cerr << "\nfsck: blob " << to_hex(b.sha256) << " restored from " << got->peer << "\n";
        return true;
      };
    options.progress = [](int64_t done, int64_t total) {
      std::cerr << "\rfsck: checked " << done << " / " << total << " blobs" << std::flush;
    };
    FsckReport r = fsck(dir.pool(), options);
    std::cerr << "\n";
    nlohmann::json j{{"blobs_checked", r.blobs_checked},       {"bytes_checked", r.bytes_checked},
                     {"corrupt_blobs", r.corrupt_blobs},       {"missing_blobs", r.missing_blobs},
                     {"wrong_refcounts", r.wrong_refcounts},   {"dangling_objects", r.dangling_objects},
                     {"orphan_blob_files", r.orphan_blob_files}, {"stray_files", r.stray_files},
                     {"stale_temp_files", r.stale_temp_files}, {"stale_staged_parts", r.stale_staged_parts},
                     {"repaired", r.repaired},                 {"problems", r.problems()}};
    if (json) {
      std::cout << j.dump() << "\n";
    } else {
      for (const auto& [k, v] : j.items()) std::cout << k << ": " << v << "\n";
      std::cout << (r.problems() == 0 ? "clean\n" : "PROBLEMS FOUND\n");
    }
    if (r.problems() != 0) throw CLI::RuntimeError(2);
  });
}

}  // namespace herd::cli

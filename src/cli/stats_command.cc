// herd stats
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <iostream>

#include "cli/commands.h"
#include "app/data_dir.h"

namespace herd::cli {

namespace {

std::string human(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 5) v /= 1024, ++u;
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

}  // namespace

void add_stats_command(CLI::App& app, Common& common) {
  static bool json = false;
  auto* cmd = app.add_subcommand("stats", "Show objects, distinct blobs, logical and physical bytes, dedup ratio");
  cmd->add_flag("--json", json, "Print JSON (objects, blobs, logical_bytes, physical_bytes, dedup_ratio, …)");
  add_common_options(*cmd, common);
  cmd->callback([&] {
    Config c = common.load();
    DataDir dir(c.data_dir, c.meta, c.blobs);
    PoolStats s = dir.pool().meta().stats();
    // Pack files on disk, and how much of them referenced blobs use (the rest awaits compaction).
    int64_t packs = 0, pack_bytes = 0, pack_live_bytes = 0;
    for (const auto& p : dir.pool().blobs().packs()) {
      ++packs;
      pack_bytes += p.bytes;
    }
    for (const auto& u : dir.pool().meta().pack_usage()) pack_live_bytes += u.live_bytes;
    double ratio = s.physical_bytes ? static_cast<double>(s.logical_bytes) / static_cast<double>(s.physical_bytes) : 1.0;
    if (json) {
      std::cout << nlohmann::json{{"tenants", s.tenants},
                                  {"buckets", s.buckets},
                                  {"objects", s.objects},
                                  {"blobs", s.blobs},
                                  {"logical_bytes", s.logical_bytes},
                                  {"physical_bytes", s.physical_bytes},
                                  {"reclaimable_blobs", s.reclaimable_blobs},
                                  {"reclaimable_bytes", s.reclaimable_bytes},
                                  {"packs", packs},
                                  {"pack_bytes", pack_bytes},
                                  {"pack_live_bytes", pack_live_bytes},
                                  {"uploads_skipped", s.uploads_skipped},
                                  {"upload_bytes_skipped", s.upload_bytes_skipped},
                                  {"dedup_ratio", ratio}}
                       .dump()
                << "\n";
      return;
    }
    std::cout << fmt::format(
        "tenants         {}\nbuckets         {}\nobjects         {}\nblobs           {}\n"
        "logical bytes   {} ({})\nphysical bytes  {} ({})\nawaiting GC     {} blob(s), {}\n"
        "packs           {} file(s), {} on disk, {} live\ndedup ratio     {:.2f}x\n"
        "uploads skipped {} ({} not received)\n",
        s.tenants, s.buckets, s.objects, s.blobs, s.logical_bytes, human(s.logical_bytes), s.physical_bytes,
        human(s.physical_bytes), s.reclaimable_blobs, human(s.reclaimable_bytes), packs, human(pack_bytes),
        human(pack_live_bytes), ratio, s.uploads_skipped, human(s.upload_bytes_skipped));
  });
}

}  // namespace herd::cli

// herd recover --from PEER...: puts back every referenced blob whose bytes this pool lacks, from
// peers (verified by SHA-256), with progress, and reports what no peer had. Runs on a stopped or
// a running pool (it only adds bytes and points rows at them).
#include <unistd.h>

#include <iostream>
#include <stdexcept>

#include "app/data_dir.h"
#include "cli/commands.h"
#include "federation/peers.h"
#include "util/hex.h"

namespace herd::cli {

void add_recover_command(CLI::App& app, Common& common) {
  static std::vector<std::string> from;
  auto* cmd = app.add_subcommand("recover", "Fetch every referenced blob missing here from peers, verified");
  cmd->add_option("--from", from, "Peer base URL (repeatable; default: the [[federation.peer]]s)");
  add_common_options(*cmd, common);
  cmd->callback([&] {
    Config c = common.load();
    std::vector<std::string> urls = from.empty() ? c.federation_peers : from;
    if (urls.empty()) throw std::runtime_error("recover needs --from PEER (or [[federation.peer]] in the config)");
    DataDir dir(c.data_dir, c.meta, c.blobs);
    federation::Fetcher fetcher(c.fetch);
    federation::Peers peers(fetcher, urls);
    Pool& pool = dir.pool();
    const bool terminal = ::isatty(STDERR_FILENO);
    const int64_t total = pool.meta().stats().blobs;
    int64_t checked = 0, missing = 0, restored = 0, restored_bytes = 0;
    std::vector<std::string> lost;
    // A line rewritten in place on a terminal; otherwise a line every 20 batches and at the end.
    int batches = 0;
    auto progress = [&](bool last) {
      if (!terminal && !last && ++batches % 20 != 0) return;
      std::cerr << (terminal ? "\r" : "") << "recover: " << checked << " / " << total << " blobs checked, " << missing
                << " missing, " << restored << " restored" << (terminal && !last ? "" : "\n") << std::flush;
    };
    std::string after;
    while (true) {
      auto batch = pool.meta().list_blobs(after, 512);
      for (const auto& b : batch) {
        after = b.sha256;
        ++checked;
        if (b.state != BlobState::kLive || b.refcount == 0) continue;
        auto reader = pool.blobs().open(b.sha256, b.location);
        if (reader && reader->size() == b.size) continue;
        ++missing;
        if (auto got = peers.fetch(pool, b.sha256)) {
          pool.restore_blob(*got->upload);
          ++restored;
          restored_bytes += b.size;
        } else {
          lost.push_back(to_hex(b.sha256));
        }
      }
      if (batch.size() < 512) break;
      progress(false);
    }
    progress(true);
    std::cout << "recover: " << restored << " blob(s) restored (" << restored_bytes << " bytes) of " << missing
              << " missing; " << lost.size() << " no peer had\n";
    for (const auto& hex : lost) std::cout << "  not found: " << hex << "\n";
    if (!lost.empty()) throw CLI::RuntimeError(2);
  });
}

}  // namespace herd::cli

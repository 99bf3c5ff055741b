#include "federation/peers.h"

#include <spdlog/spdlog.h>

#include "federation/content_digest.h"
#include "util/hex.h"

namespace herd::federation {

Peers::Peers(Fetcher& fetcher, std::vector<std::string> base_urls) : fetcher_(fetcher) {
  for (auto& url : base_urls) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    bases_.push_back(std::move(url));
  }
}

std::optional<Peers::Fetched> Peers::fetch(Pool& pool, const std::string& sha256) const {
  const std::string path = "/.well-known/apgateway/hl:" + digest_multibase(sha256);
  for (const auto& base : bases_) {
    auto upload = pool.begin_upload(fetcher_.options().max_object_size);
    try {
      Upload::SettleOnUnwind guard(*upload);
      fetcher_.get(base + path, [&](const char* data, size_t len) { upload->append(data, len); });
      upload->finish();
    } catch (const FetchError& e) {
      if (e.kind != FetchError::Kind::kUpstreamStatus || e.status != 404)
        spdlog::warn("peer {}: blob {} not fetched: {}", base, to_hex(sha256), e.what());
      continue;
    } catch (const Upload::TooLarge&) {
      spdlog::warn("peer {}: blob {} is larger than [fetch] max_object_size", base, to_hex(sha256));
      continue;
    }
    if (upload->sha256() != sha256) {
      spdlog::warn("peer {} served other bytes for blob {} (sha256 {}): rejected", base, to_hex(sha256),
                   to_hex(upload->sha256()));
      continue;
    }
    return Fetched{std::move(upload), base};
  }
  return std::nullopt;
}

}  // namespace herd::federation

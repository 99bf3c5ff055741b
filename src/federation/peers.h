#pragma once
// The pool's peers ([[federation.peer]]): other media servers asked for a blob by its SHA-256,
// at their FEP-ef61 hashlink URL (GET <peer>/.well-known/apgateway/hl:<digestMultibase>, which
// Herd's public endpoint and Fedify-based servers answer). Every byte from a peer is verified
// against the digest before use; a peer that serves other bytes is skipped (and logged) and the
// next one asked. Downloads go through the Fetcher (SSRF rules and caps apply to peers too).
// Immutable after construction; thread-safe; fetch() blocks.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "federation/fetcher.h"
#include "pool/pool.h"

namespace herd::federation {

class Peers {
 public:
  // `base_urls`: each peer's public base URL ("https://media2.example"), asked in this order.
  Peers(Fetcher& fetcher, std::vector<std::string> base_urls);

  bool empty() const { return bases_.empty(); }

  // A finished upload holding the blob's bytes (SHA-256 verified) from the first peer that had
  // them, and which peer that was; nullopt when none did. Throws Unavailable (the local store).
  struct Fetched {
    std::unique_ptr<Upload> upload;
    std::string peer;
  };
  std::optional<Fetched> fetch(Pool& pool, const std::string& sha256) const;

 private:
  Fetcher& fetcher_;
  std::vector<std::string> bases_;
};

}  // namespace herd::federation

#pragma once
// How Herd names a blob's SHA-256 to the Fediverse: RFC 9530 Repr-Digest values, FEP-1311
// digestMultibase (multibase base58btc of the sha2-256 multihash, "zQm…") and FEP-ef61 hashlinks
// ("hl:zQm…"). Pure functions.
#include <optional>
#include <string>
#include <string_view>

namespace herd::federation {

// "sha-256=:<base64>:" for the raw 32-byte digest (a Repr-Digest / Content-Digest value).
std::string repr_digest(const std::string& sha256);
// "zQm…" for the raw 32-byte digest.
std::string digest_multibase(const std::string& sha256);

// What a hashlink ("hl:zQm…", or the bare "zQm…") names.
struct HashlinkParse {
  enum class Status { kSha256, kMalformed, kUnsupported } status;
  std::string sha256;  // raw 32 bytes, for kSha256
};
// kMalformed: not base58btc multibase, a truncated multihash, or metadata after the digest
// ("hl:<multihash>:<metadata>"); kUnsupported: a well-formed multihash of another algorithm.
HashlinkParse parse_hashlink(std::string_view text);

// The raw SHA-256 a response header names: an RFC 9530 Repr-Digest / Content-Digest value
// ("sha-256=:<base64>:", possibly among other algorithms) or a legacy RFC 3230 Digest value
// ("SHA-256=<base64>"); nullopt when it names none (or a malformed one).
std::optional<std::string> sha256_from_digest_header(std::string_view value);

}  // namespace herd::federation

#include "federation/content_digest.h"

#include "util/base58.h"
#include "util/base64.h"

namespace herd::federation {

namespace {

// Multihash: <varint code><varint length><digest>; sha2-256 is code 0x12, 32 bytes.
constexpr char kSha256Code = 0x12;
constexpr char kSha256Length = 0x20;

}  // namespace

std::string repr_digest(const std::string& sha256) { return "sha-256=:" + base64_encode(sha256) + ":"; }

std::string digest_multibase(const std::string& sha256) {
  return "z" + base58_encode(std::string{kSha256Code, kSha256Length} + sha256);
}

HashlinkParse parse_hashlink(std::string_view text) {
  using Status = HashlinkParse::Status;
  if (text.starts_with("hl:")) text.remove_prefix(3);
  if (text.find(':') != std::string_view::npos) return {Status::kMalformed, {}};  // metadata
  if (text.size() < 2 || text.front() != 'z') return {Status::kMalformed, {}};
  auto bytes = base58_decode(text.substr(1));
  if (!bytes || bytes->size() < 2) return {Status::kMalformed, {}};
  const auto code = static_cast<unsigned char>((*bytes)[0]), length = static_cast<unsigned char>((*bytes)[1]);
  if ((code & 0x80) || (length & 0x80)) {
    return {Status::kUnsupported, {}};  // multi-byte varints: codes and lengths sha2-256 never uses
  }
  if (bytes->size() != 2u + length) return {Status::kMalformed, {}};
  if (code != kSha256Code || length != kSha256Length) return {Status::kUnsupported, {}};
  return {Status::kSha256, bytes->substr(2)};
}

}  // namespace herd::federation

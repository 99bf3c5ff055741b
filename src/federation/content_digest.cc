#include "federation/content_digest.h"

#include "util/base58.h"
#include "util/base64.h"

namespace herd::federation {

namespace {

// Multihash: <varint code><varint length><digest>; sha2-256 is code 0x12, 32 bytes.
constexpr char kSha256Code = 0x12;
constexpr char kSha256Length = 0x20;
// Longer than any multihash with single-byte code and length (2 + 127 bytes) in base58: refused
// before decoding, whose cost grows with the square of the length (the path is the client's).
constexpr size_t kMaxMultibaseChars = 180;

}  // namespace

std::string repr_digest(const std::string& sha256) { return "sha-256=:" + base64_encode(sha256) + ":"; }

std::string digest_multibase(const std::string& sha256) {
  return "z" + base58_encode(std::string{kSha256Code, kSha256Length} + sha256);
}

HashlinkParse parse_hashlink(std::string_view text) {
  using Status = HashlinkParse::Status;
  if (text.starts_with("hl:")) text.remove_prefix(3);
  if (text.find(':') != std::string_view::npos) return {Status::kMalformed, {}};  // metadata
  if (text.size() < 2 || text.size() > kMaxMultibaseChars || text.front() != 'z') return {Status::kMalformed, {}};
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

std::optional<std::string> sha256_from_digest_header(std::string_view value) {
  while (!value.empty()) {
    auto comma = value.find(',');
    std::string_view item = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    auto eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    std::string name(item.substr(0, eq));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name != "sha-256") continue;
    std::string_view b64 = item.substr(eq + 1);
    if (b64.size() >= 2 && b64.front() == ':' && b64.back() == ':') b64 = b64.substr(1, b64.size() - 2);
    auto raw = base64_decode(b64);
    if (raw && raw->size() == 32) return raw;
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace herd::federation

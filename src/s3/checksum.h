#pragma once
// S3's flexible checksums (x-amz-checksum-*): CRC32, CRC32C, CRC64NVME, SHA1, SHA256.
// Values travel as base64 of the big-endian digest bytes.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/digest.h"

namespace herd::s3 {

enum class ChecksumAlgorithm { kCrc32, kCrc32c, kCrc64Nvme, kSha1, kSha256 };

// "CRC32", "crc32c", … (case-insensitive); nullopt for anything else.
std::optional<ChecksumAlgorithm> parse_checksum_algorithm(std::string_view name);
// "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"
std::string_view checksum_name(ChecksumAlgorithm algorithm);
// "x-amz-checksum-crc32", …
std::string checksum_header(ChecksumAlgorithm algorithm);

// An incremental checksum of one algorithm.
class Checksum {
 public:
  explicit Checksum(ChecksumAlgorithm algorithm);
  ChecksumAlgorithm algorithm() const { return algorithm_; }
  void update(const void* data, size_t len);
  // The base64 value as S3 sends it. Call once.
  std::string finish_base64();

 private:
  ChecksumAlgorithm algorithm_;
  uint64_t crc_ = 0;
  std::optional<Digest> digest_;
};

}  // namespace herd::s3

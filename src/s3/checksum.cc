#include "s3/checksum.h"

#include <boost/beast/core/string.hpp>

#include "util/base64.h"
#include "util/crc.h"

namespace herd::s3 {

std::optional<ChecksumAlgorithm> parse_checksum_algorithm(std::string_view name) {
  for (auto a : {ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c, ChecksumAlgorithm::kCrc64Nvme,
                 ChecksumAlgorithm::kSha1, ChecksumAlgorithm::kSha256})
    if (boost::beast::iequals(name, checksum_name(a))) return a;
  return std::nullopt;
}

std::string_view checksum_name(ChecksumAlgorithm a) {
  switch (a) {
    case ChecksumAlgorithm::kCrc32: return "CRC32";
    case ChecksumAlgorithm::kCrc32c: return "CRC32C";
    case ChecksumAlgorithm::kCrc64Nvme: return "CRC64NVME";
    case ChecksumAlgorithm::kSha1: return "SHA1";
    case ChecksumAlgorithm::kSha256: return "SHA256";
  }
  return "";
}

std::string checksum_header(ChecksumAlgorithm a) {
  std::string h = "x-amz-checksum-";
  for (char c : checksum_name(a)) h.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return h;
}

Checksum::Checksum(ChecksumAlgorithm a) : algorithm_(a) {
  if (a == ChecksumAlgorithm::kSha1) digest_.emplace(Digest::Algorithm::kSha1);
  if (a == ChecksumAlgorithm::kSha256) digest_.emplace(Digest::Algorithm::kSha256);
}

void Checksum::update(const void* data, size_t len) {
  switch (algorithm_) {
    case ChecksumAlgorithm::kCrc32: crc_ = crc32_update(static_cast<uint32_t>(crc_), data, len); break;
    case ChecksumAlgorithm::kCrc32c: crc_ = crc32c_update(static_cast<uint32_t>(crc_), data, len); break;
    case ChecksumAlgorithm::kCrc64Nvme: crc_ = crc64nvme_update(crc_, data, len); break;
    default: digest_->update(data, len);
  }
}

std::string Checksum::finish_base64() {
  if (digest_) return base64_encode(digest_->finish());
  const int bytes = algorithm_ == ChecksumAlgorithm::kCrc64Nvme ? 8 : 4;
  std::string be;
  for (int i = bytes - 1; i >= 0; --i) be.push_back(static_cast<char>((crc_ >> (8 * i)) & 0xFF));
  return base64_encode(be);
}

}  // namespace herd::s3

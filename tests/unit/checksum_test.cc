// Flexible checksums: the standard CRC check values and S3's base64 big-endian encoding.
#include "s3/checksum.h"

#include <gtest/gtest.h>

#include "util/crc.h"

namespace herd::s3 {
namespace {

std::string checksum_of(ChecksumAlgorithm a, const std::string& data, size_t step = 1 << 20) {
  Checksum c(a);
  for (size_t i = 0; i < data.size(); i += step) c.update(data.data() + i, std::min(step, data.size() - i));
  return c.finish_base64();
}

TEST(Crc, CheckValues) {
  const std::string check = "123456789";
  EXPECT_EQ(crc32_update(0, check.data(), check.size()), 0xCBF43926u);
  EXPECT_EQ(crc32c_update(0, check.data(), check.size()), 0xE3069283u);
  EXPECT_EQ(crc64nvme_update(0, check.data(), check.size()), 0xAE8B14860A799888ull);
}

TEST(Crc, IncrementalEqualsOneShot) {
  std::string data;
  for (int i = 0; i < 100003; ++i) data.push_back(static_cast<char>(i * 131 + 7));
  for (size_t step : {1ul, 3ul, 8ul, 13ul, 4096ul}) {
    for (auto a : {ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c, ChecksumAlgorithm::kCrc64Nvme,
                   ChecksumAlgorithm::kSha1, ChecksumAlgorithm::kSha256})
      EXPECT_EQ(checksum_of(a, data, step), checksum_of(a, data)) << step;
  }
}

TEST(Checksum, Base64BigEndian) {
  // CRC32C of 66560 'a' is sOO8/Q== in the AWS streaming-trailer example.
  EXPECT_EQ(checksum_of(ChecksumAlgorithm::kCrc32c, std::string(66560, 'a')), "sOO8/Q==");
  EXPECT_EQ(checksum_of(ChecksumAlgorithm::kCrc32, "123456789"), "y/Q5Jg==");  // 0xCBF43926
  EXPECT_EQ(checksum_of(ChecksumAlgorithm::kCrc64Nvme, "123456789"), "rosUhgp5mIg=");
  EXPECT_EQ(checksum_of(ChecksumAlgorithm::kSha256, ""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  EXPECT_EQ(checksum_of(ChecksumAlgorithm::kSha1, ""), "2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
}

TEST(Checksum, Names) {
  EXPECT_EQ(parse_checksum_algorithm("crc32c"), ChecksumAlgorithm::kCrc32c);
  EXPECT_EQ(parse_checksum_algorithm("CRC64NVME"), ChecksumAlgorithm::kCrc64Nvme);
  EXPECT_FALSE(parse_checksum_algorithm("md5"));
  EXPECT_EQ(checksum_header(ChecksumAlgorithm::kCrc64Nvme), "x-amz-checksum-crc64nvme");
}

}  // namespace
}  // namespace herd::s3

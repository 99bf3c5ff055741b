#pragma once
// The CRCs S3's flexible checksums use. Each takes the running value (0 to start) and returns
// the updated one, so a stream can be fed in pieces.
#include <cstddef>
#include <cstdint>

namespace herd {

// CRC-32 (ISO-HDLC, as zlib/gzip), via zlib.
uint32_t crc32_update(uint32_t crc, const void* data, size_t len);
// CRC-32C (Castagnoli), with the SSE4.2 instruction when the CPU has it.
uint32_t crc32c_update(uint32_t crc, const void* data, size_t len);
// CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5).
uint64_t crc64nvme_update(uint64_t crc, const void* data, size_t len);

}  // namespace herd

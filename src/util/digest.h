#pragma once
// Message digests and HMAC over OpenSSL EVP (which uses the CPU's SHA extensions when present).
#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

namespace herd {

// Incremental digest of one algorithm. Not thread-safe; one instance per stream.
class Digest {
 public:
  enum class Algorithm { kSha256, kMd5, kSha1 };
  explicit Digest(Algorithm algorithm);
  void update(const void* data, size_t len);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // Returns the raw digest bytes; the object must not be updated afterwards.
  std::string finish();

 private:
  struct Free {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

// One-shot SHA-256 of `data`, raw bytes.
std::string sha256(std::string_view data);
// One-shot SHA-256 of `data`, lower-case hex.
std::string sha256_hex(std::string_view data);
// One-shot MD5 of `data`, raw bytes.
std::string md5(std::string_view data);
// HMAC-SHA256(key, data), raw bytes.
std::string hmac_sha256(std::string_view key, std::string_view data);

// Compares two strings in time independent of where they differ (for secrets and signatures).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace herd

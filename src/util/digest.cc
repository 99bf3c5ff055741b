#include "util/digest.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include <stdexcept>

#include "util/hex.h"

namespace herd {

static const EVP_MD* evp_for(Digest::Algorithm algorithm) {
  switch (algorithm) {
    case Digest::Algorithm::kSha256: return EVP_sha256();
    case Digest::Algorithm::kMd5: return EVP_md5();
    case Digest::Algorithm::kSha1: return EVP_sha1();
  }
  return nullptr;
}

Digest::Digest(Algorithm algorithm) : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), evp_for(algorithm), nullptr) != 1)
    throw std::runtime_error("EVP_DigestInit_ex failed");
}

void Digest::update(const void* data, size_t len) {
  if (len && EVP_DigestUpdate(ctx_.get(), data, len) != 1)
    throw std::runtime_error("EVP_DigestUpdate failed");
}

std::string Digest::finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), out, &len) != 1) throw std::runtime_error("EVP_DigestFinal_ex failed");
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string sha256(std::string_view data) {
  Digest d(Digest::Algorithm::kSha256);
  d.update(data);
  return d.finish();
}

std::string sha256_hex(std::string_view data) { return to_hex(sha256(data)); }

std::string md5(std::string_view data) {
  Digest d(Digest::Algorithm::kMd5);
  d.update(data);
  return d.finish();
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len))
    throw std::runtime_error("HMAC failed");
  return std::string(reinterpret_cast<char*>(out), len);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace herd

#include "pool/upload.h"

namespace herd {

Upload::Upload(std::unique_ptr<TempBlob> temp, int64_t max_size, HashLanes* lanes)
    : temp_(std::move(temp)), max_size_(max_size), lanes_(lanes) {}

void Upload::append(const char* data, size_t len) {
  if (size_ + static_cast<int64_t>(len) > max_size_) throw TooLarge();
  if (lanes_ && len >= kLaneChunk) {
    std::future<void> md5_done = lanes_->submit([this, data, len] { md5_digest_.update(data, len); });
    try {
      sha256_digest_.update(data, len);
      temp_->write(data, len);
    } catch (...) {
      md5_done.wait();  // the lane reads `data`: it must finish before the caller's buffer goes
      throw;
    }
    md5_done.get();
  } else {
    sha256_digest_.update(data, len);
    md5_digest_.update(data, len);
    temp_->write(data, len);
  }
  size_ += static_cast<int64_t>(len);
}

void Upload::finish() {
  sha256_ = sha256_digest_.finish();
  md5_ = md5_digest_.finish();
}

}  // namespace herd

#include "pool/upload.h"

namespace herd {

Upload::Upload(std::unique_ptr<TempBlob> temp, int64_t max_size, HashLanes* lanes)
    : temp_(std::move(temp)), max_size_(max_size), lanes_(lanes) {}

void Upload::append(const char* data, size_t len) {
  if (size_ + static_cast<int64_t>(len) > max_size_) throw TooLarge();
  settle();  // MD5 is sequential: the previous chunk's must be done first
  if (lanes_ && len >= kLaneChunk) {
    lane_md5_ = lanes_->submit([this, data, len] { md5_digest_.update(data, len); });
  } else {
    md5_digest_.update(data, len);
  }
  sha256_digest_.update(data, len);
  temp_->write(data, len);
  size_ += static_cast<int64_t>(len);
}

Upload::~Upload() {
  // The lane may be reading the caller's buffer: it must finish before anything is freed.
  if (lane_md5_.valid()) lane_md5_.wait();
}

Upload::SettleOnUnwind::~SettleOnUnwind() {
  if (std::uncaught_exceptions() == exceptions_) return;
  try {
    upload_.settle();
  } catch (...) {  // an exception is already on its way
  }
}

void Upload::settle() {
  if (lane_md5_.valid()) lane_md5_.get();  // rethrows what the lane threw
}

void Upload::finish() {
  settle();
  sha256_ = sha256_digest_.finish();
  md5_ = md5_digest_.finish();
}

}  // namespace herd

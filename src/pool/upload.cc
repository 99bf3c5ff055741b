#include "pool/upload.h"

namespace herd {

Upload::Upload(BlobStore& store, int64_t max_size, int64_t memory_limit, HashLanes* lanes)
    : store_(store), max_size_(max_size), memory_limit_(memory_limit), lanes_(lanes) {}

void Upload::expect(int64_t size) {
  if (temp_ || memory_limit_ <= 0 || size > memory_limit_ || size > max_size_) return;
  auto memory = std::make_unique<MemoryBlob>(static_cast<size_t>(size));
  memory_ = memory.get();
  temp_ = std::move(memory);
}

TempBlob& Upload::temp() {
  if (!temp_) temp_ = store_.create_temp();
  return *temp_;
}

void Upload::spill() {
  auto file = store_.create_temp();
  file->write(memory_->bytes().data(), memory_->bytes().size());
  memory_ = nullptr;
  temp_ = std::move(file);
}

void Upload::append(const char* data, size_t len) {
  if (size_ + static_cast<int64_t>(len) > max_size_) throw TooLarge();
  if (memory_ && size_ + static_cast<int64_t>(len) > memory_limit_) spill();
  settle();  // MD5 is sequential: the previous chunk's must be done first
  if (lanes_ && len >= kLaneChunk) {
    lane_md5_ = lanes_->submit([this, data, len] { md5_digest_.update(data, len); });
  } else {
    md5_digest_.update(data, len);
  }
  sha256_digest_.update(data, len);
  temp().write(data, len);
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

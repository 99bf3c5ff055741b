#pragma once
// Bounds how many request bodies are received at once, and recycles their receive buffers: a
// body is received only while holding a slot (one buffer); more bodies wait their turn. Memory
// for bodies is therefore at most slots × buffer size, whatever the load or object size.
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace herd::s3 {

class UploadSlots {
 public:
  UploadSlots(size_t slots, size_t buffer_size);
  ~UploadSlots();

  // A held slot: its buffer is the caller's until the slot is destroyed.
  class Slot {
   public:
    Slot(UploadSlots& owner, std::unique_ptr<char[]> buffer) : owner_(&owner), buffer_(std::move(buffer)) {}
    Slot(Slot&&) = default;
    Slot& operator=(Slot&&) = delete;
    ~Slot();
    char* data() { return buffer_.get(); }
    size_t size() const { return owner_->buffer_size_; }

   private:
    UploadSlots* owner_;
    std::unique_ptr<char[]> buffer_;
  };

  // Waits for a free slot; the awaiting coroutine resumes on its own executor.
  boost::asio::awaitable<Slot> acquire();
  // Slots held right now (for tests and stats).
  size_t in_use() const;

  // A coroutine waiting for a slot (type-erased completion handler).
  struct Waiter {
    virtual ~Waiter() = default;
    virtual void resume(std::unique_ptr<char[]> buffer) = 0;
  };

 private:
  // A buffer when a slot is free (under mu_).
  std::unique_ptr<char[]> take_locked();
  void release(std::unique_ptr<char[]> buffer);
  void enqueue(std::unique_ptr<Waiter> waiter);

  const size_t slots_;
  const size_t buffer_size_;
  mutable std::mutex mu_;
  size_t in_use_ = 0;
  std::vector<std::unique_ptr<char[]>> free_;  // buffers of released slots, reused
  std::deque<std::unique_ptr<Waiter>> waiters_;
};

}  // namespace herd::s3

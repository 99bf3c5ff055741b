#include "s3/upload_slots.h"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace herd::s3 {

namespace asio = boost::asio;

namespace {

// Resumes a suspended coroutine on its own executor with a buffer.
template <class Handler>
struct HandlerWaiter : UploadSlots::Waiter {
  explicit HandlerWaiter(Handler h) : handler(std::move(h)) {}
  void resume(std::unique_ptr<char[]> buffer) override {
    auto ex = asio::get_associated_executor(handler);
    asio::post(ex, [h = std::move(handler), b = std::move(buffer)]() mutable { std::move(h)(std::move(b)); });
  }
  Handler handler;
};

}  // namespace

UploadSlots::UploadSlots(size_t slots, size_t buffer_size) : slots_(slots), buffer_size_(buffer_size) {}

UploadSlots::~UploadSlots() = default;

UploadSlots::Slot::~Slot() {
  if (buffer_) owner_->release(std::move(buffer_));
}

std::unique_ptr<char[]> UploadSlots::take_locked() {
  if (in_use_ >= slots_) return nullptr;
  ++in_use_;
  if (free_.empty()) return std::make_unique_for_overwrite<char[]>(buffer_size_);
  auto b = std::move(free_.back());
  free_.pop_back();
  return b;
}

size_t UploadSlots::in_use() const {
  std::lock_guard lock(mu_);
  return in_use_;
}

void UploadSlots::release(std::unique_ptr<char[]> buffer) {
  std::unique_ptr<Waiter> next;
  {
    std::lock_guard lock(mu_);
    if (waiters_.empty()) {
      --in_use_;
      free_.push_back(std::move(buffer));
      return;
    }
    next = std::move(waiters_.front());  // the slot passes straight to the longest waiter
    waiters_.pop_front();
  }
  next->resume(std::move(buffer));
}

void UploadSlots::enqueue(std::unique_ptr<Waiter> waiter) {
  std::unique_lock lock(mu_);
  if (auto b = take_locked()) {  // a slot came free since acquire() looked
    lock.unlock();
    waiter->resume(std::move(b));
    return;
  }
  waiters_.push_back(std::move(waiter));
}

asio::awaitable<UploadSlots::Slot> UploadSlots::acquire() {
  std::unique_ptr<char[]> buffer;
  {
    std::lock_guard lock(mu_);
    buffer = take_locked();
  }
  if (!buffer) {
    auto initiate = [this](auto handler) {
      enqueue(std::make_unique<HandlerWaiter<decltype(handler)>>(std::move(handler)));
    };
    buffer = co_await asio::async_initiate<const asio::use_awaitable_t<>, void(std::unique_ptr<char[]>)>(
        initiate, asio::use_awaitable);
  }
  Slot slot(*this, std::move(buffer));
  co_return slot;
}

}  // namespace herd::s3

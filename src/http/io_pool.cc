#include "http/io_pool.h"

namespace herd::http {

IoPool::IoPool(int threads) {
  for (int i = 0; i < std::max(1, threads); ++i) {
    // Concurrency hint 1: the context is only ever run by one thread, so Asio skips its locks.
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
}

IoPool::~IoPool() { stop(); }

boost::asio::io_context& IoPool::next() { return *contexts_[next_.fetch_add(1) % contexts_.size()]; }

void IoPool::run() {
  std::vector<std::thread> threads;
  for (size_t i = 1; i < contexts_.size(); ++i) threads.emplace_back([this, i] { contexts_[i]->run(); });
  contexts_.front()->run();
  for (auto& t : threads) t.join();
}

void IoPool::stop() {
  for (auto& c : contexts_) c->stop();
}

}  // namespace herd::http

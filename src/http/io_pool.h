#pragma once
// The I/O threads: one single-threaded io_context per thread, so a connection's work never
// hops threads or takes a lock. Connections are spread round-robin over the contexts; blocking
// work (fsync, metadata commits) belongs on a BlockingPool, never here.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace herd::http {

class IoPool {
 public:
  explicit IoPool(int threads);
  ~IoPool();

  // The context for the next connection (round-robin).
  boost::asio::io_context& next();
  // The first context: acceptors, signals and other process-wide waits run here.
  boost::asio::io_context& main() { return *contexts_.front(); }
  int size() const { return static_cast<int>(contexts_.size()); }

  // Runs every context (the calling thread runs the first) until stop().
  void run();
  // Makes run() return; callable from any thread.
  void stop();

 private:
  using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<Guard> guards_;
  std::atomic<size_t> next_{0};
};

}  // namespace herd::http

#pragma once
// Threads for work that may block (fsync, metadata commits, copying staged parts), so the I/O
// threads keep serving other connections meanwhile.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <type_traits>

namespace herd::http {

class BlockingPool {
 public:
  explicit BlockingPool(int threads) : pool_(static_cast<size_t>(threads)) {}
  ~BlockingPool() { join(); }

  // Waits for the work already submitted, then stops the threads. Call it before destroying
  // what that work references (the I/O contexts and the coroutines suspended on them).
  void join() { pool_.join(); }

  // Runs `fn` on a pool thread; the awaiting coroutine resumes on its own executor with fn's
  // result, or with the exception fn threw.
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F&>> run(F fn) {
    using R = std::invoke_result_t<F&>;
    auto task = boost::asio::co_spawn(
        pool_, [&fn]() -> boost::asio::awaitable<R> { co_return fn(); }, boost::asio::use_awaitable);
    co_return co_await std::move(task);
  }

 private:
  boost::asio::thread_pool pool_;
};

}  // namespace herd::http

// Tests for http/blocking_pool.h: work runs on a pool thread, and the awaiting coroutine resumes
// on its own thread with the result or the exception.
#include "http/blocking_pool.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <stdexcept>
#include <thread>

namespace herd::http {
namespace {

namespace asio = boost::asio;

TEST(BlockingPoolTest, RunsOffTheCallingThreadAndResumesOnIt) {
  asio::io_context io;
  BlockingPool pool(2);
  const auto io_thread = std::this_thread::get_id();
  std::thread::id worked_on, resumed_on;
  int result = 0;
  auto task = [&]() -> asio::awaitable<void> {
    auto work = [&] {
      worked_on = std::this_thread::get_id();
      return 42;
    };
    result = co_await pool.run(work);
    resumed_on = std::this_thread::get_id();
  };
  asio::co_spawn(io, task(), asio::detached);
  io.run();
  EXPECT_EQ(result, 42);
  EXPECT_NE(worked_on, io_thread);
  EXPECT_EQ(resumed_on, io_thread);
}

TEST(BlockingPoolTest, ExceptionsReachTheAwaitingCoroutine) {
  asio::io_context io;
  BlockingPool pool(1);
  std::string caught;
  auto task = [&]() -> asio::awaitable<void> {
    auto fail = [] { throw std::runtime_error("disk on fire"); };
    try {
      co_await pool.run(fail);
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
  };
  asio::co_spawn(io, task(), asio::detached);
  io.run();
  EXPECT_EQ(caught, "disk on fire");
}

}  // namespace
}  // namespace herd::http

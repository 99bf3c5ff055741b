// SingleFlight: concurrent callers of one key share one run and its result or exception.
#include "federation/single_flight.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

namespace herd::federation {
namespace {

TEST(SingleFlight, ConcurrentCallersOfOneKeyShareOneRun) {
  SingleFlight<int> flights;
  std::atomic<int> arrived{0}, runs{0}, ran{0}, waited{0};
  std::atomic<bool> release{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      ++arrived;
      auto [value, mine] = flights.run("k", [&] {
        ++runs;
        while (!release) std::this_thread::yield();
        return 42;
      });
      EXPECT_EQ(value, 42);
      ++(mine ? ran : waited);
    });
  while (runs == 0 || arrived < 4) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the others are waiting in run() by now
  release = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(ran.load(), 1);
  EXPECT_EQ(waited.load(), 3);
}

TEST(SingleFlight, TheRunnersExceptionReachesEveryWaiterAndTheKeyIsFreedAfter) {
  SingleFlight<int> flights;
  std::atomic<bool> started{false}, release{false};
  std::thread runner([&] {
    EXPECT_THROW(flights.run("k", [&]() -> int {
      started = true;
      while (!release) std::this_thread::yield();
      throw std::runtime_error("origin down");
    }), std::runtime_error);
  });
  while (!started) std::this_thread::yield();
  std::thread waiter([&] { EXPECT_THROW(flights.run("k", [] { return 1; }), std::runtime_error); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  release = true;
  runner.join();
  waiter.join();
  auto [value, mine] = flights.run("k", [] { return 7; });
  EXPECT_EQ(value, 7);
  EXPECT_TRUE(mine);
}

}  // namespace
}  // namespace herd::federation

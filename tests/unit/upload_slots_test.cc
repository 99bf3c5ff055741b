// Tests for s3/upload_slots.h: at most N bodies hold a slot, the next waits until one is
// released (first come, first served), and released buffers are reused.
#include "s3/upload_slots.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <optional>
#include <vector>

namespace herd::s3 {
namespace {

namespace asio = boost::asio;

TEST(UploadSlotsTest, WaitersGetSlotsInOrderAsTheyAreReleased) {
  asio::io_context io;
  UploadSlots slots(2, 1024);
  std::vector<std::optional<UploadSlots::Slot>> held(4);
  std::vector<char*> buffers(4, nullptr);
  auto take = [&](int i) -> asio::awaitable<void> {
    UploadSlots::Slot s = co_await slots.acquire();
    buffers[i] = s.data();
    held[i].emplace(std::move(s));
  };
  for (int i = 0; i < 4; ++i) asio::co_spawn(io, take(i), asio::detached);
  io.run_for(std::chrono::milliseconds(50));
  io.restart();
  EXPECT_TRUE(held[0] && held[1]);
  EXPECT_FALSE(held[2] || held[3]);
  EXPECT_EQ(slots.in_use(), 2u);
  EXPECT_EQ(held[0]->size(), 1024u);

  char* first = buffers[0];
  held[0].reset();  // frees a slot: the longest waiter (2) gets it, with the same buffer
  io.run_for(std::chrono::milliseconds(50));
  io.restart();
  ASSERT_TRUE(held[2]);
  EXPECT_FALSE(held[3]);
  EXPECT_EQ(buffers[2], first);

  held[1].reset();
  io.run_for(std::chrono::milliseconds(50));
  io.restart();
  EXPECT_TRUE(held[3]);
  held[2].reset();
  held[3].reset();
  EXPECT_EQ(slots.in_use(), 0u);
}

TEST(UploadSlotsTest, ASlotReleasedFromAnotherThreadWakesTheWaiterOnItsOwnContext) {
  asio::io_context io;
  UploadSlots slots(1, 64);
  std::optional<UploadSlots::Slot> first;
  bool second_got = false;
  std::thread::id resumed_on;
  auto take_first = [&]() -> asio::awaitable<void> {
    UploadSlots::Slot s = co_await slots.acquire();
    first.emplace(std::move(s));
  };
  auto take_second = [&]() -> asio::awaitable<void> {
    UploadSlots::Slot s = co_await slots.acquire();
    resumed_on = std::this_thread::get_id();
    second_got = true;
  };
  asio::co_spawn(io, take_first(), asio::detached);
  asio::co_spawn(io, take_second(), asio::detached);
  io.run_for(std::chrono::milliseconds(20));
  io.restart();
  ASSERT_TRUE(first);
  EXPECT_FALSE(second_got);
  std::thread([&] { first.reset(); }).join();
  io.run_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(second_got);
  EXPECT_EQ(resumed_on, std::this_thread::get_id());
  EXPECT_EQ(slots.in_use(), 0u);
}

}  // namespace
}  // namespace herd::s3

#pragma once
// Threads that take one digest of a large upload chunk while the receiving thread computes the
// other and writes the bytes, so one upload hashes on two cores. MD5 (needed for S3 ETags) runs
// at well under half the speed of SHA-256 with SHA extensions, so hashing both on one thread
// would cap a single upload far below the disk's speed.
#include <boost/asio/thread_pool.hpp>

#include <functional>
#include <future>

namespace herd {

class HashLanes {
 public:
  explicit HashLanes(unsigned threads) : pool_(threads) {}
  ~HashLanes() { pool_.join(); }

  // Runs `fn` on a lane thread; the future reports its completion (or exception).
  std::future<void> submit(std::function<void()> fn);

 private:
  boost::asio::thread_pool pool_;
};

}  // namespace herd

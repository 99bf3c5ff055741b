#include "pool/hash_lanes.h"

#include <boost/asio/post.hpp>

namespace herd {

std::future<void> HashLanes::submit(std::function<void()> fn) {
  std::packaged_task<void()> task(std::move(fn));
  std::future<void> done = task.get_future();
  boost::asio::post(pool_, std::move(task));
  return done;
}

}  // namespace herd

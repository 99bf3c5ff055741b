#pragma once
// One computation per key at a time: while one caller runs it for a key, later callers of the
// same key wait and share its result (or its exception) instead of running it again. How
// concurrent retrieves of one URL, or one digest, share one download. Thread-safe.
#include <condition_variable>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace herd::federation {

template <typename T>
class SingleFlight {
 public:
  // Runs `fn` unless another caller is running it for `key`; returns its result and whether this
  // caller ran it (false: it waited for another's). Rethrows the runner's exception to everyone.
  std::pair<T, bool> run(const std::string& key, const std::function<T()>& fn) {
    std::shared_ptr<Flight> flight;
    {
      std::unique_lock lock(mu_);
      auto& slot = flights_[key];
      if (slot) {
        flight = slot;
        flight->cv.wait(lock, [&] { return flight->done; });
        if (flight->error) std::rethrow_exception(flight->error);
        return {*flight->result, false};
      }
      slot = flight = std::make_shared<Flight>();
    }
    std::optional<T> result;
    std::exception_ptr error;
    try {
      result = fn();
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard lock(mu_);
      flight->done = true;
      flight->error = error;
      flight->result = result;
      flights_.erase(key);
    }
    flight->cv.notify_all();
    if (error) std::rethrow_exception(error);
    return {std::move(*result), true};
  }

 private:
  struct Flight {
    bool done = false;
    std::optional<T> result;
    std::exception_ptr error;
    std::condition_variable cv;
  };
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Flight>> flights_;
};

}  // namespace herd::federation

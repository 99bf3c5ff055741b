// PostgresMetaStore::watch_changes: a thread with a connection of its own LISTENing on the
// schema's channel (see publish()).
#include <atomic>
#include <spdlog/spdlog.h>
#include <thread>

#include "meta/postgres_meta_store.h"

namespace herd {

namespace {

class PostgresChangeWatch : public ChangeWatch {
 public:
  PostgresChangeWatch(std::string conninfo, std::string channel, MetaChangeHandler handler)
      : conninfo_(std::move(conninfo)), channel_(std::move(channel)), handler_(std::move(handler)) {
    listen();  // the first connection is made before returning: no change committed after is missed
    thread_ = std::thread([this] { run(); });
  }
  ~PostgresChangeWatch() override {
    stop_ = true;
    thread_.join();
  }

 private:
  void listen() {
    conn_ = std::make_unique<pg::Connection>(conninfo_);
    conn_->exec("LISTEN \"" + channel_ + "\"");
  }

  void run() {
    while (!stop_) {
      try {
        if (!conn_) {
          listen();
          handler_({});  // kEverything: whatever changed while nobody listened
          spdlog::info("postgresql change notifications resumed");
        }
        for (const auto& payload : conn_->notifications(std::chrono::milliseconds(200)))
          handler_(decode_change(payload));
      } catch (const std::exception& e) {
        if (conn_) spdlog::warn("postgresql change notifications lost: {}", e.what());
        conn_.reset();
        handler_({});  // caches may be stale from now on: forget them
        for (int i = 0; i < 5 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    }
  }

  const std::string conninfo_;
  const std::string channel_;
  const MetaChangeHandler handler_;
  std::unique_ptr<pg::Connection> conn_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

std::unique_ptr<ChangeWatch> PostgresMetaStore::watch_changes(MetaChangeHandler handler) {
  return std::make_unique<PostgresChangeWatch>(conninfo_, channel_, std::move(handler));
}

}  // namespace herd

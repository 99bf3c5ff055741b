// herd serve: the S3 endpoint plus background garbage collection.
#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <condition_variable>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "http/blocking_pool.h"
#include "http/server.h"
#include "app/data_dir.h"
#include "app/public_urls.h"
#include "app/s3_listener.h"
#include "s3/router.h"
#include "web/public_router.h"

namespace herd::cli {

namespace {

// On its own thread until stopped, at start and then every interval: aborts abandoned multipart
// uploads, forgets completed ones older than their retention, then runs Pool::gc.
class BackgroundGc {
 public:
  BackgroundGc(DataDir& dir, const Config& c)
      : dir_(dir),
        pool_(dir.pool()),
        grace_ms_(c.gc_grace_seconds * 1000),
        claim_lease_ms_(c.gc_claim_lease_seconds * 1000),
        multipart_max_age_ms_(c.multipart_max_age_seconds * 1000),
        completed_retention_ms_(c.multipart_completed_retention_seconds * 1000),
        interval_(c.gc_interval_seconds) {
    thread_ = std::thread([this] { run(); });
  }
  ~BackgroundGc() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  // A first pass at once finishes deletions a crash interrupted (uploads of those bytes wait for
  // them; on metadata shared by nodes, once their claims' lease is over), then one every interval.
  void run() {
    std::unique_lock lock(mu_);
    for (bool first = true; first || !cv_.wait_for(lock, interval_, [this] { return stop_; }); first = false) {
      lock.unlock();
      try {
        if (int64_t n = pool_.abort_stale_multiparts(multipart_max_age_ms_))
          spdlog::info("aborted {} abandoned multipart upload(s)", n);
        if (int64_t n = pool_.forget_completed_multiparts(completed_retention_ms_))
          spdlog::debug("forgot {} completed multipart upload(s)", n);
        GcReport r = dir_.gc(grace_ms_, claim_lease_ms_);
        if (r.blobs_removed || r.packs_removed)
          spdlog::info("gc: removed {} blob(s), freed {} bytes; deleted {} pack(s), moving {} live blob(s)",
                       r.blobs_removed, r.bytes_freed, r.packs_removed, r.blobs_repacked);
      } catch (const std::exception& e) {
        spdlog::error("gc failed: {}", e.what());
      }
      lock.lock();
    }
  }

  DataDir& dir_;
  Pool& pool_;
  int64_t grace_ms_;
  int64_t claim_lease_ms_;
  int64_t multipart_max_age_ms_;
  int64_t completed_retention_ms_;
  std::chrono::seconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// Every connection and every cached blob holds a descriptor: allow as many as the hard limit does.
void raise_file_limit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur >= r.rlim_max) return;
  r.rlim_cur = r.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &r) != 0) spdlog::warn("could not raise the open file limit");
}

void serve(const Config& c) {
  spdlog::set_level(spdlog::level::from_str(c.log_level));
  raise_file_limit();
  DataDir dir(c.data_dir, c.meta, c.blobs, DataDir::Use::kServer);
  if (!dir.lock_for_serving())
    throw std::runtime_error("another herd server is already running on " + c.data_dir);
  dir.pool().set_pack_threshold(c.pack_threshold);
  dir.pool().watch_other_nodes();
  if (size_t n = dir.pool().blobs().clear_temp()) spdlog::info("removed {} unfinished upload(s) left by a crash", n);

  auto [host, port] = parse_listen(c.listen);
  http::ServerOptions options;
  options.host = host;
  options.port = port;
  options.max_connections = static_cast<uint32_t>(c.max_connections);
  int threads = c.threads > 0 ? c.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  http::BlockingPool blocking(c.blocking_threads);
  http::IoPool io(threads);
  s3::Router router(dir.pool(), blocking, c.s3);
  federation::Fetcher fetcher(c.fetch);
  federation::Peers peers(fetcher, c.federation_peers);
  federation::Retriever retriever(dir.pool(), fetcher, federation::OwnUrls(own_public_urls(c)), peers);
  federation::Api federation_api(dir.pool(), blocking, retriever, c.s3.auth);
  S3Listener listener(router, federation_api);
  http::Server server(io, options, listener);
  server.start();
  // The public endpoint, when configured: anonymous reads only.
  web::PublicRouter public_router(dir.pool(), blocking, c.s3.public_reads);
  std::unique_ptr<http::Server> public_server;
  if (!c.s3.public_reads.listen.empty()) {
    http::ServerOptions public_options = options;
    std::tie(public_options.host, public_options.port) = parse_listen(c.s3.public_reads.listen);
    public_server = std::make_unique<http::Server>(io, public_options, public_router);
    public_server->start();
    spdlog::info("public endpoint on http://{}:{}", public_options.host, public_server->port());
  }
  boost::asio::signal_set signals(io.main(), SIGINT, SIGTERM);
  signals.async_wait([&](auto, int sig) {
    spdlog::info("signal {}: shutting down", sig);
    io.stop();
  });
  BackgroundGc gc(dir, c);
  spdlog::info("herd {} listening on http://{}:{} (data: {}, {} threads)", HERD_VERSION,
               host.find(':') != std::string::npos ? "[" + host + "]" : host, server.port(), c.data_dir, threads);

  io.run();
  blocking.join();
  dir.pool().drain_commits();  // their completions post to the I/O contexts, which die next
  auto commits = dir.pool().commit_stats();
  if (commits.groups)
    spdlog::info("{} object commits in {} group commits ({:.1f} per group)", commits.commits, commits.groups,
                 static_cast<double>(commits.commits) / static_cast<double>(commits.groups));
}

}  // namespace

void add_serve_command(CLI::App& app, Common& common) {
  static std::optional<std::string> listen;
  auto* cmd = app.add_subcommand("serve", "Run the S3 server on the data directory");
  cmd->add_option("--listen", listen, "HOST:PORT to listen on (overrides [server] listen; default 127.0.0.1:9000)");
  add_common_options(*cmd, common);
  cmd->callback([&] {
    Config c = common.load();
    if (listen) c.listen = *listen;
    serve(c);
  });
}

}  // namespace herd::cli

// herd bench: an S3 load generator for any endpoint (Herd, Garage, MinIO, Ceph RGW, AWS).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <iostream>

#include "bench/workload.h"
#include "cli/commands.h"

namespace herd::cli {

void add_bench_command(CLI::App& app, Common&) {
  static bench::WorkloadOptions o;
  static std::string endpoint = "http://127.0.0.1:9000";
  static std::string sizes = "64KiB";
  static bool json = false;
  auto* cmd = app.add_subcommand("bench", "Load an S3 endpoint and report ops/s, MB/s and latency percentiles");
  cmd->add_option("--endpoint", endpoint, "http://HOST:PORT of the S3 endpoint")->capture_default_str();
  cmd->add_option("--access-key", o.credentials.access_key, "Access key")->required();
  cmd->add_option("--secret-key", o.credentials.secret_key, "Secret key")->required();
  cmd->add_option("--region", o.credentials.region, "Signing region")->capture_default_str();
  cmd->add_option("--bucket", o.bucket, "Bucket (created if missing)")->capture_default_str();
  cmd->add_option("--size", sizes, "Object size, or a mix like 64KiB:80,1MiB:20")->capture_default_str();
  cmd->add_option("--objects", o.objects, "Objects to write, or to prepare for get/mixed/list/delete")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--concurrency", o.concurrency, "Parallel connections")->check(CLI::Range(1, 4096))->capture_default_str();
  cmd->add_option("--duration", o.duration_seconds, "Upper bound on the measured phase, seconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--op", o.operation, "put, get, mixed, list or delete")
      ->check(CLI::IsMember({"put", "get", "mixed", "list", "delete"}))
      ->capture_default_str();
  cmd->add_option("--duplicates", o.duplicate_percent, "Percent of PUT bodies repeating earlier content")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  cmd->add_option("--seed", o.seed, "Random seed")->capture_default_str();
  cmd->add_flag("--json", json, "Print the results as JSON");
  cmd->callback([&] {
    o.endpoint = bench::parse_endpoint(endpoint);
    o.sizes = bench::parse_sizes(sizes);
    auto results = bench::run_workload(o, [](const std::string& phase, int64_t ops, int64_t errors, int64_t bytes,
                                             double seconds) {
      std::cerr << fmt::format("\r[{}] {} ops  {:.1f} ops/s  {:.1f} MB/s  {} errors   ", phase, ops,
                               seconds > 0 ? ops / seconds : 0.0, seconds > 0 ? bytes / seconds / 1e6 : 0.0, errors)
                << std::flush;
    });
    std::cerr << "\n";
    if (json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& s : results)
        out.push_back({{"op", s.op},
                       {"count", s.count},
                       {"errors", s.errors},
                       {"bytes", s.bytes},
                       {"seconds", s.seconds},
                       {"ops_per_second", s.ops_per_second()},
                       {"mb_per_second", s.mb_per_second()},
                       {"latency_ms",
                        {{"p50", s.percentile(50)}, {"p90", s.percentile(90)}, {"p99", s.percentile(99)},
                         {"max", s.percentile(100)}}}});
      std::cout << nlohmann::json{{"operation", o.operation}, {"concurrency", o.concurrency}, {"results", out}}.dump()
                << "\n";
      return;
    }
    std::cout << fmt::format("{:<8} {:>9} {:>7} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9}\n", "op", "count", "errors",
                             "ops/s", "MB/s", "p50 ms", "p90 ms", "p99 ms", "max ms");
    for (const auto& s : results)
      std::cout << fmt::format("{:<8} {:>9} {:>7} {:>10.1f} {:>9.1f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f}\n", s.op,
                               s.count, s.errors, s.ops_per_second(), s.op == "list" ? 0.0 : s.mb_per_second(),
                               s.percentile(50), s.percentile(90), s.percentile(99), s.percentile(100));
  });
}

}  // namespace herd::cli

#pragma once
// The `herd bench` workload: concurrent workers issuing S3 operations against any endpoint,
// bounded by an object count and a duration, with per-operation latency statistics.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "bench/s3_client.h"

namespace herd::bench {

struct WorkloadOptions {
  Endpoint endpoint;
  Credentials credentials;
  std::string bucket = "herd-bench";
  std::vector<std::pair<int64_t, int>> sizes{{64 * 1024, 1}};  // object size → weight
  int64_t objects = 1000;     // objects to write (put), or to prepare and then read/list/delete
  int concurrency = 8;
  double duration_seconds = 60;  // upper bound on the measured phase
  std::string operation = "put";  // put, get, mixed, list, delete
  int duplicate_percent = 0;      // share of PUT bodies that repeat earlier content
  uint64_t seed = 1;
};

// Results of one operation type.
struct OpStats {
  std::string op;
  int64_t count = 0;
  int64_t errors = 0;
  int64_t bytes = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;  // successful operations
  double ops_per_second() const { return seconds > 0 ? static_cast<double>(count) / seconds : 0; }
  double mb_per_second() const { return seconds > 0 ? static_cast<double>(bytes) / seconds / 1e6 : 0; }
  // Latency percentile (0–100) in milliseconds.
  double percentile(double p) const;
};

// Called about once a second during the measured phase: (phase, ops done, errors, bytes, seconds).
using Progress = std::function<void(const std::string&, int64_t, int64_t, int64_t, double)>;

// Runs the workload. Creates the bucket if needed. Throws std::runtime_error when the endpoint is
// unusable (e.g. the bucket cannot be created).
std::vector<OpStats> run_workload(const WorkloadOptions& options, const Progress& progress);

// Parses "64KiB", "1MB", "4096", or a mix "64KiB:80,1MiB:20" (size:weight).
std::vector<std::pair<int64_t, int>> parse_sizes(const std::string& spec);

}  // namespace herd::bench

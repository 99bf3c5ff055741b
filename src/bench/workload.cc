#include "bench/workload.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

namespace herd::bench {

namespace {

using Clock = std::chrono::steady_clock;

int64_t parse_size(const std::string& s) {
  size_t pos = 0;
  double v = std::stod(s, &pos);
  std::string unit = s.substr(pos);
  static const std::map<std::string, int64_t> units = {{"", 1},       {"B", 1},          {"KB", 1000},
                                                       {"MB", 1000000}, {"GB", 1000000000}, {"KiB", 1024},
                                                       {"MiB", 1 << 20}, {"GiB", 1 << 30}};
  auto it = units.find(unit);
  if (it == units.end() || v < 0) throw std::runtime_error("bad size: " + s);
  return static_cast<int64_t>(v * static_cast<double>(it->second));
}

// Counters shared by the workers of one phase.
struct Shared {
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> done{0};
  std::atomic<int64_t> errors{0};
  std::atomic<int64_t> bytes{0};
  std::mutex mu;
  std::map<std::string, OpStats> stats;
};

std::string key_of(int64_t i) { return "bench/obj-" + std::to_string(i); }

// The random bytes every body is cut from: depends only on the seed, built once per phase
// before its clock starts, shared read-only by the workers.
std::string random_base(const WorkloadOptions& o) {
  int64_t largest = 0;
  for (auto& [size, weight] : o.sizes) largest = std::max(largest, size);
  std::string base(static_cast<size_t>(largest), '\0');
  std::mt19937_64 rng(o.seed);
  for (size_t i = 0; i < base.size(); i += 8) {
    uint64_t v = rng();
    std::memcpy(base.data() + i, &v, std::min<size_t>(8, base.size() - i));
  }
  return base;
}

// Bodies: unique content puts a stamp (object index and a nonce) in front of the rest of the
// base; duplicates are a prefix of the base, so every duplicate of one size has the same bytes.
class Bodies {
 public:
  Bodies(const WorkloadOptions& o, const std::string& base, uint64_t seed) : options_(o), base_(base), rng_(seed) {
    for (auto& [size, weight] : o.sizes) total_weight_ += weight;
  }
  // Valid until the next call.
  Body next(int64_t index) {
    size_t size = static_cast<size_t>(pick_size());
    std::string_view base(base_.data(), size);
    bool duplicate = std::uniform_int_distribution<int>(0, 99)(rng_) < options_.duplicate_percent;
    if (duplicate || size == 0) return Body{{}, base};
    stamp_ = std::to_string(index) + ":" + std::to_string(rng_());
    if (stamp_.size() > size) stamp_.resize(size);
    return Body{stamp_, base.substr(stamp_.size())};
  }

 private:
  int64_t pick_size() {
    int r = std::uniform_int_distribution<int>(0, total_weight_ - 1)(rng_);
    for (auto& [size, weight] : options_.sizes) {
      if (r < weight) return size;
      r -= weight;
    }
    return options_.sizes.back().first;
  }
  const WorkloadOptions& options_;
  const std::string& base_;
  std::mt19937_64 rng_;
  std::string stamp_;
  int total_weight_ = 0;
};

void record(Shared& shared, std::map<std::string, OpStats>& local, const std::string& op, bool ok, int64_t bytes,
            Clock::time_point start) {
  auto& s = local[op];
  s.op = op;
  ++s.count;
  shared.done.fetch_add(1);
  if (!ok) {
    ++s.errors;
    shared.errors.fetch_add(1);
    return;
  }
  s.bytes += bytes;
  shared.bytes.fetch_add(bytes);
  s.latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
}

// Runs `body(worker_index, client, local_stats)` on `concurrency` threads until it returns false
// or the deadline passes; reports progress; returns merged stats with the phase's wall time.
std::vector<OpStats> run_phase(const WorkloadOptions& o, const std::string& phase, const Progress& progress,
                               const std::function<bool(int, S3Client&, Bodies&, Shared&,
                                                        std::map<std::string, OpStats>&)>& body) {
  Shared shared;
  const std::string base = random_base(o);
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration_seconds));
  std::atomic<bool> finished{false};
  std::vector<std::thread> workers;
  for (int w = 0; w < o.concurrency; ++w) {
    workers.emplace_back([&, w] {
      S3Client client(o.endpoint, o.credentials);
      Bodies bodies(o, base, o.seed * 7919 + static_cast<uint64_t>(w));
      std::map<std::string, OpStats> local;
      while (Clock::now() < deadline && body(w, client, bodies, shared, local)) {
      }
      std::lock_guard lock(shared.mu);
      for (auto& [op, s] : local) {
        auto& total = shared.stats[op];
        total.op = op;
        total.count += s.count;
        total.errors += s.errors;
        total.bytes += s.bytes;
        total.latencies_ms.insert(total.latencies_ms.end(), s.latencies_ms.begin(), s.latencies_ms.end());
      }
    });
  }
  std::thread reporter([&] {
    while (!finished.load()) {
      for (int i = 0; i < 10 && !finished.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (progress)
        progress(phase, shared.done.load(), shared.errors.load(), shared.bytes.load(),
                 std::chrono::duration<double>(Clock::now() - start).count());
    }
  });
  for (auto& t : workers) t.join();
  finished = true;
  reporter.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<OpStats> out;
  for (auto& [op, s] : shared.stats) {
    s.seconds = seconds;
    std::sort(s.latencies_ms.begin(), s.latencies_ms.end());
    out.push_back(std::move(s));
  }
  return out;
}

bool put_next(const WorkloadOptions& o, S3Client& c, Bodies& bodies, Shared& shared,
              std::map<std::string, OpStats>& local, const std::string& op_name) {
  int64_t i = shared.next.fetch_add(1);
  if (i >= o.objects) return false;
  Body body = bodies.next(i);
  auto start = Clock::now();
  bool ok = false;
  try {
    ok = c.request("PUT", "/" + o.bucket + "/" + key_of(i), {}, body, false).status == 200;
  } catch (const std::exception&) {
  }
  record(shared, local, op_name, ok, static_cast<int64_t>(body.size()), start);
  return true;
}

}  // namespace

double OpStats::percentile(double p) const {
  if (latencies_ms.empty()) return 0;
  size_t idx = static_cast<size_t>(p / 100.0 * static_cast<double>(latencies_ms.size() - 1) + 0.5);
  return latencies_ms[std::min(idx, latencies_ms.size() - 1)];
}

std::vector<std::pair<int64_t, int>> parse_sizes(const std::string& spec) {
  std::vector<std::pair<int64_t, int>> out;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t end = spec.find(',', start);
    if (end == std::string::npos) end = spec.size();
    std::string item = spec.substr(start, end - start);
    start = end + 1;
    if (item.empty()) continue;
    auto colon = item.find(':');
    int weight = colon == std::string::npos ? 1 : std::stoi(item.substr(colon + 1));
    if (weight <= 0) throw std::runtime_error("size weights must be positive: " + spec);
    out.emplace_back(parse_size(item.substr(0, colon)), weight);
  }
  if (out.empty()) throw std::runtime_error("no object size given");
  return out;
}

std::vector<OpStats> run_workload(const WorkloadOptions& o, const Progress& progress) {
  {
    S3Client c(o.endpoint, o.credentials);
    unsigned status = c.request("PUT", "/" + o.bucket, {}, {}, false).status;
    if (status != 200 && status != 409) throw std::runtime_error("cannot create bucket " + o.bucket + ": HTTP " + std::to_string(status));
  }
  if (o.operation == "put")
    return run_phase(o, "put", progress, [&](int, S3Client& c, Bodies& b, Shared& s, auto& local) {
      return put_next(o, c, b, s, local, "put");
    });

  // Other operations work on `objects` prepared objects (their upload is not measured).
  WorkloadOptions prepare = o;
  prepare.duration_seconds = 1e9;
  run_phase(prepare, "prepare", progress, [&](int, S3Client& c, Bodies& b, Shared& s, auto& local) {
    return put_next(o, c, b, s, local, "put");
  });

  if (o.operation == "get" || o.operation == "mixed") {
    return run_phase(o, o.operation, progress, [&](int w, S3Client& c, Bodies& b, Shared& s, auto& local) {
      thread_local std::mt19937_64 rng(o.seed + static_cast<uint64_t>(w));
      int64_t i = std::uniform_int_distribution<int64_t>(0, o.objects - 1)(rng);
      int roll = o.operation == "get" ? 0 : std::uniform_int_distribution<int>(0, 99)(rng);
      auto start = Clock::now();
      if (roll < 60) {  // mixed: 60 % GET, 30 % PUT (overwrite), 10 % DELETE
        bool ok = false;
        int64_t bytes = 0;
        try {
          auto r = c.request("GET", "/" + o.bucket + "/" + key_of(i), {}, {}, false);
          ok = r.status == 200 || (o.operation == "mixed" && r.status == 404);
          bytes = static_cast<int64_t>(r.body_bytes);
        } catch (const std::exception&) {
        }
        record(s, local, "get", ok, bytes, start);
      } else if (roll < 90) {
        Body body = b.next(i);
        bool ok = false;
        try {
          ok = c.request("PUT", "/" + o.bucket + "/" + key_of(i), {}, body, false).status == 200;
        } catch (const std::exception&) {
        }
        record(s, local, "put", ok, static_cast<int64_t>(body.size()), start);
      } else {
        bool ok = false;
        try {
          ok = c.request("DELETE", "/" + o.bucket + "/" + key_of(i), {}, {}, false).status == 204;
        } catch (const std::exception&) {
        }
        record(s, local, "delete", ok, 0, start);
      }
      return true;
    });
  }
  if (o.operation == "list") {
    return run_phase(o, "list", progress, [&](int, S3Client& c, Bodies&, Shared& s, auto& local) {
      std::string token;
      do {  // one full listing of the prepared objects, 1000 keys a page
        sigv4::Pairs q{{"list-type", "2"}, {"prefix", "bench/"}};
        if (!token.empty()) q.emplace_back("continuation-token", token);
        auto start = Clock::now();
        bool ok = false;
        int64_t keys = 0;
        token.clear();
        try {
          auto r = c.request("GET", "/" + o.bucket, q, {}, true);
          ok = r.status == 200;
          for (size_t p = 0; (p = r.body.find("<Key>", p)) != std::string::npos; p += 5) ++keys;
          auto t = r.body.find("<NextContinuationToken>");
          if (t != std::string::npos) {
            t += 23;
            token = r.body.substr(t, r.body.find('<', t) - t);
          }
        } catch (const std::exception&) {
        }
        record(s, local, "list", ok, keys, start);  // "bytes" counts keys for listings
      } while (!token.empty());
      return true;
    });
  }
  if (o.operation == "delete") {
    return run_phase(o, "delete", progress, [&](int, S3Client& c, Bodies&, Shared& s, auto& local) {
      int64_t i = s.next.fetch_add(1);
      if (i >= o.objects) return false;
      auto start = Clock::now();
      bool ok = false;
      try {
        ok = c.request("DELETE", "/" + o.bucket + "/" + key_of(i), {}, {}, false).status == 204;
      } catch (const std::exception&) {
      }
      record(s, local, "delete", ok, 0, start);
      return true;
    });
  }
  throw std::runtime_error("unknown operation " + o.operation + " (put, get, mixed, list, delete)");
}

}  // namespace herd::bench

#include "blob/fault_injection.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <system_error>

namespace herd {

namespace {

struct Fault {
  int error = 0;  // errno to fail with; 0 = none
  double probability = 1.0;
};

struct Faults {
  Fault write, fsync, rename;
};

int errno_named(const std::string& name) {
  if (name == "ENOSPC") return ENOSPC;
  if (name == "EIO") return EIO;
  if (name == "EDQUOT") return EDQUOT;
  if (name == "EROFS") return EROFS;
  return EIO;
}

Faults parse(const char* spec) {
  Faults f;
  std::string s = spec ? spec : "";
  size_t start = 0;
  while (start < s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    std::string item = s.substr(start, end - start);
    start = end + 1;
    auto eq = item.find('=');
    if (eq == std::string::npos) continue;
    std::string point = item.substr(0, eq), rest = item.substr(eq + 1);
    Fault fault;
    auto at = rest.find('@');
    fault.error = errno_named(rest.substr(0, at));
    if (at != std::string::npos) fault.probability = std::atof(rest.c_str() + at + 1);
    if (point == "write") f.write = fault;
    if (point == "fsync") f.fsync = fault;
    if (point == "rename") f.rename = fault;
  }
  return f;
}

const Faults& configured() {
  static const Faults faults = parse(std::getenv("HERD_TEST_FAULTS"));
  return faults;
}

}  // namespace

void maybe_inject_fault(FaultPoint point) {
  const Faults& f = configured();
  const Fault& fault = point == FaultPoint::kWrite ? f.write : point == FaultPoint::kFsync ? f.fsync : f.rename;
  if (fault.error == 0) return;
  thread_local std::mt19937 rng{std::random_device{}()};
  if (std::uniform_real_distribution<double>(0, 1)(rng) >= fault.probability) return;
  throw std::system_error(fault.error, std::generic_category(), "injected fault");
}

}  // namespace herd

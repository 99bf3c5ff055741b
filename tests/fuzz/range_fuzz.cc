// libFuzzer target: the Range header (src/s3/range.cc apply_range) against arbitrary object
// sizes. Oracle: a partial range lies inside the object (0 <= first, 1 <= length,
// first + length <= size, computed without overflow); suffix ranges end at the last byte; an
// unsatisfiable answer only for a range that starts at or past the end (or a zero-length suffix).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>

#include "s3/range.h"

#include "fuzz_check.h"

using herd::s3::apply_range;
using herd::s3::RangeResult;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  int64_t object_size;
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: object_size = in.ConsumeIntegralInRange<int64_t>(0, 16); break;
    case 1: object_size = in.ConsumeIntegralInRange<int64_t>(0, 5LL << 30); break;
    case 2: object_size = std::numeric_limits<int64_t>::max() - in.ConsumeIntegralInRange<int64_t>(0, 16); break;
    default: object_size = in.ConsumeIntegralInRange<int64_t>(0, std::numeric_limits<int64_t>::max()); break;
  }
  std::string header = in.ConsumeRemainingBytesAsString();
  RangeResult r = apply_range(header, object_size);
  switch (r.kind) {
    case RangeResult::Kind::kPartial:
      CHECK(r.range.first >= 0);
      CHECK(r.range.length >= 1);
      CHECK(r.range.first < object_size);
      CHECK(r.range.length <= object_size - r.range.first);
      break;
    case RangeResult::Kind::kUnsatisfiable:
    case RangeResult::Kind::kWhole:
      break;
  }
  // Whatever the header says, a zero-byte object never yields a partial range.
  if (object_size == 0) CHECK(r.kind != RangeResult::Kind::kPartial);
  // The same header on a larger object never turns a satisfiable range unsatisfiable.
  if (r.kind == RangeResult::Kind::kPartial && object_size < std::numeric_limits<int64_t>::max()) {
    RangeResult bigger = apply_range(header, object_size + 1);
    CHECK(bigger.kind == RangeResult::Kind::kPartial);
    CHECK(bigger.range.first <= r.range.first + 1);
  }
  return 0;
}

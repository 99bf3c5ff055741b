#!/usr/bin/env bash
# Builds Herd's libFuzzer targets with clang (ASan + UBSan) in their own build directory, replays
# every saved regression input, then fuzzes each target for a bounded time starting from the seed
# corpus in tests/fuzz/corpus/<target>/, and prints how many inputs each target executed.
#
# Usage: tests/fuzz/run_fuzzers.sh [TARGET...]          (default: all targets)
# Environment:
#   HERD_FUZZ_SECONDS  fuzzing time per target (default 30); 0 = only build and replay regressions
#   HERD_FUZZ_BUILD    build directory (default build/fuzz, next to the normal build)
#   HERD_FUZZ_JOBS     parallel build jobs (default: number of CPUs)
#   CC / CXX           compilers (default clang / clang++)
# Exit status: 0 when every regression replays cleanly and no target crashed; 1 otherwise.
# A crash leaves its input in $HERD_FUZZ_BUILD/artifacts/<target>/; to keep it as a regression,
# copy it to tests/fuzz/regressions/<target>/ (every later run replays it first).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${HERD_FUZZ_SECONDS:-30}"
build="${HERD_FUZZ_BUILD:-$root/build/fuzz}"
jobs="${HERD_FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}"
export CC="${CC:-clang}" CXX="${CXX:-clang++}"

all_targets=(http_request_fuzz sigv4_fuzz aws_chunked_fuzz xml_fuzz range_fuzz misc_fuzz)
targets=("$@")
(( ${#targets[@]} )) || targets=("${all_targets[@]}")

# Largest input libFuzzer may generate per target (HTTP heads go past the 16 KiB header limit).
max_len() {
  case "$1" in
    http_request_fuzz) echo 40000 ;;
    xml_fuzz) echo 65536 ;;
    aws_chunked_fuzz) echo 16384 ;;
    *) echo 4096 ;;
  esac
}

if ! command -v "$CXX" >/dev/null 2>&1; then
  echo "run_fuzzers: $CXX not found; install clang and libFuzzer: apt-get install clang libclang-rt-14-dev" >&2
  exit 1
fi

# Configure: through the top-level project when it knows HERD_FUZZ, else this directory alone.
if grep -q "HERD_FUZZ" "$root/CMakeLists.txt"; then
  source_dir="$root"
  extra=(-DHERD_FUZZ=ON)
else
  source_dir="$here"
  extra=()
fi
echo "run_fuzzers: building ${targets[*]} in $build ($CXX)"
mkdir -p "$build"
cmake -S "$source_dir" -B "$build" -DCMAKE_BUILD_TYPE=Debug "${extra[@]}" >"$build/configure.log" 2>&1 || {
  cat "$build/configure.log" >&2
  exit 1
}
cmake --build "$build" -j "$jobs" --target "${targets[@]}" >"$build/build.log" 2>&1 || {
  tail -50 "$build/build.log" >&2
  exit 1
}

# Where the binaries land: the build root (standalone) or its tests/fuzz subdirectory.
binary() {
  local t="$1"
  for candidate in "$build/tests/fuzz/$t" "$build/$t"; do
    [[ -x "$candidate" ]] && { echo "$candidate"; return; }
  done
  echo "run_fuzzers: $t was not built" >&2
  return 1
}

failed=0
declare -A executions

# 1. Regressions: every saved input must run cleanly (libFuzzer runs files given as arguments once).
for t in "${targets[@]}"; do
  bin="$(binary "$t")"
  dir="$here/regressions/$t"
  shopt -s nullglob
  inputs=("$dir"/*)
  shopt -u nullglob
  (( ${#inputs[@]} )) || continue
  log="$build/regressions-$t.log"
  if timeout 300 "$bin" -runs=1 -timeout=10 -rss_limit_mb=2048 "${inputs[@]}" >"$log" 2>&1; then
    echo "regressions  $t: ${#inputs[@]} input(s) ok"
  else
    echo "regressions  $t: FAILED (see $log)"
    grep -E "ERROR|runtime error|Running:" "$log" | head -20 || true
    failed=1
  fi
done

# 2. Fuzzing, bounded per target.
if (( seconds > 0 )); then
  for t in "${targets[@]}"; do
    bin="$(binary "$t")"
    work="$build/work/$t"
    artifacts="$build/artifacts/$t"
    mkdir -p "$work" "$artifacts"
    [[ -d "$here/corpus/$t" ]] && cp -n "$here/corpus/$t"/* "$work"/ 2>/dev/null || true
    log="$build/fuzz-$t.log"
    status=0
    timeout $((seconds + 120)) "$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
      -rss_limit_mb=2048 -max_len="$(max_len "$t")" -artifact_prefix="$artifacts/" "$work" >"$log" 2>&1 || status=$?
    runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)"
    executions[$t]="${runs:-?}"
    if (( status != 0 )); then
      echo "fuzz         $t: CRASH after ${runs:-?} executions (exit $status, log $log)"
      grep -E "ERROR|runtime error|SUMMARY|Test unit written" "$log" | head -20 || true
      failed=1
    else
      echo "fuzz         $t: ${runs:-?} executions in ${seconds}s, no crash"
    fi
  done
  echo
  echo "executions per target:"
  for t in "${targets[@]}"; do printf '  %-20s %s\n' "$t" "${executions[$t]}"; done
fi

exit "$failed"

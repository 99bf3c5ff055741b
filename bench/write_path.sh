#!/usr/bin/env bash
# Write-path benchmark (issue #5's acceptance run): Herd's PUT path against the machine's hashing
# and disk limits and against Debian's nginx as a WebDAV server, plus dedup, growth and memory.
#
#   bench/write_path.sh
#
# One command: installs nginx, wrk and python3-boto3 with apt-get when missing (as root), starts a
# fresh Herd (and, for the 64 KB cells, nginx) on loopback as child processes of this script for
# each section, and prints one Markdown table with ratios and targets (also written to
# $BENCH_DIR/run/results.md) with the machine details. Sections (SECTIONS):
#   limits  single-core `openssl speed -evp sha256` and `-evp md5` (1 MiB blocks), their one-pass
#           combination 1/(1/sha256 + 1/md5), and sequential write + fsync to BENCH_DIR's disk
#           (dd bs=1M conv=fsync from a random file already in the page cache)
#   put32   `herd bench --op put --size 32MiB` at concurrency 1 and 8 (PUT32_CONNS), MB/s and the
#           ratio to min(SHA-256, fsync write) (target ≥ 0.70 at c1). Runs `limits` too.
#   put64   64 KB PUT/s at 16 and 64 connections (CONNS), Herd vs nginx (WebDAV: dav_methods PUT,
#           create_full_put_path), the same client for both: wrk -t$THREADS with bench/put_unique.lua,
#           a body unique per request (Herd cannot deduplicate) to a fresh URL per request — SigV4
#           presigned PUT URLs for Herd (bench/presign_urls.py, boto3), plain /bench/<key> for nginx.
#           Target Herd/nginx ≥ 1.0 at c16. Any non-2xx response or socket error fails the run.
#   get     `herd bench --op get` of 64 KiB objects (GET_OBJECTS prepared), concurrency CONC
#   mixed   `herd bench --op mixed` (60% GET, 30% PUT overwrite, 10% DELETE), 64 KiB, CONC
#   dup     `herd bench --op put` with --duplicates 100 vs 0 at CONC for each of DUP_SIZES;
#           ratio duplicate/unique (target ≥ 1.5)
#   growth  PUT/s of GROWTH_SIZE objects at CONC when the pool holds GROWTH_EARLY objects and again
#           at GROWTH_OBJECTS (filled with FILL_SIZE objects at FILL_CONC into one bucket; the fill
#           overwrites the first GROWTH_EARLY keys); ratio later/earlier (target ≥ 0.80); then
#           ListObjectsV2 keys/s over that bucket (`herd bench --op list`, LIST_CONC listers) and
#           the idle RSS of the server holding them
#   rss     a fresh server's VmRSS when idle after start, its peak (VmHWM) under RSS_UPLOADS
#           concurrent RSS_SIZE PUTs, and VmRSS once idle again (targets ≤ 30 MB, ≤ 150 MB)
# Each section gets a fresh data directory (removed at the end of the section unless KEEP=1) and
# every `herd bench` run its own bucket and seed (SEED + n), so no run deduplicates against another.
# Errors of any run (failed operations, non-2xx responses, timeouts, exhausted URL lists) are
# marked in the table and make the script exit 1 after printing it. Everything it started is
# stopped on exit (trap).
#
# Environment (defaults in brackets):
#   HERD_BIN   herd binary [<repo>/build/herd]
#   BENCH_DIR  scratch directory (data, URL lists, configs) [/var/tmp/herd-write-bench]
#   SECTIONS   ["limits put32 put64 get mixed dup growth rss"]
#   DURATION   whole seconds per measured run [10]   WARMUP  seconds of wrk warm-up per put64 cell [2]
#   SEED       base seed for herd bench [20240601]
#   REPEAT     measured runs per put64 cell and server, alternating Herd and nginx; the table
#              shows the median [1]
#   CONNS      put64 connection counts ["16 64"]  THREADS wrk threads [2]
#   URL_RATE   presigned URLs generated per second of wrk run (a thread that runs out stops and
#              the cell is marked invalid) [8000]; NGINX_URL_RATE the same for nginx [40000]
#   PRESIGN_EXPIRES  presigned URL lifetime, seconds [3600]
#   PUT32_CONNS ["1 8"]   CONC  concurrency of get, mixed, dup and growth runs [16]
#   GET_OBJECTS  objects prepared for get and mixed [1000]   DUP_SIZES ["64KiB 1MiB"]
#   GROWTH_OBJECTS  pool size of the second growth point [1000000]; GROWTH_EARLY first point [10000]
#   GROWTH_SIZE [4KiB]  FILL_SIZE [1KiB]  FILL_CONC [64]  FILL_MAX_SECONDS time bound of a fill [14400]
#   LIST_CONC  concurrent full listings [1]
#   RSS_SIZE [40MiB]  RSS_UPLOADS concurrent uploads (and objects) [64]  RSS_TIMEOUT [1800]
#   RSS_SETTLE  seconds to let the server settle before idle readings [3]
#   LIMIT_SECONDS  seconds per openssl speed run [3]   FSYNC_MB  size of the dd write [1024]
#   OPS_CAP    object-count bound of small-object runs, per second of DURATION [20000]
#   MBPS_CAP   the same for 32 MiB runs, in MB/s [2000]
#   BENCH_GRACE  extra seconds a run may take past its duration before it is killed [300]
#   KEEP       1 keeps each section's data directory [0]
#
# Needs free disk in BENCH_DIR for FSYNC_MB×2, up to DURATION×MBPS_CAP MB per 32 MiB run and
# RSS_UPLOADS×RSS_SIZE, and RAM for the rss client (herd bench holds one RSS_SIZE body).
# Note: installing Debian's nginx package may start the distribution's own nginx service on
# port 80; this script neither uses nor stops it.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HERD_BIN=${HERD_BIN:-$REPO/build/herd}
BENCH_DIR=${BENCH_DIR:-/var/tmp/herd-write-bench}
SECTIONS=${SECTIONS:-"limits put32 put64 get mixed dup growth rss"}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
SEED=${SEED:-20240601}
REPEAT=${REPEAT:-1}
CONNS=${CONNS:-"16 64"}
THREADS=${THREADS:-2}
URL_RATE=${URL_RATE:-8000}
NGINX_URL_RATE=${NGINX_URL_RATE:-40000}
PRESIGN_EXPIRES=${PRESIGN_EXPIRES:-3600}
PUT32_CONNS=${PUT32_CONNS:-"1 8"}
CONC=${CONC:-16}
GET_OBJECTS=${GET_OBJECTS:-1000}
DUP_SIZES=${DUP_SIZES:-"64KiB 1MiB"}
GROWTH_OBJECTS=${GROWTH_OBJECTS:-1000000}
GROWTH_EARLY=${GROWTH_EARLY:-10000}
GROWTH_SIZE=${GROWTH_SIZE:-4KiB}
FILL_SIZE=${FILL_SIZE:-1KiB}
FILL_CONC=${FILL_CONC:-64}
FILL_MAX_SECONDS=${FILL_MAX_SECONDS:-14400}
LIST_CONC=${LIST_CONC:-1}
RSS_SIZE=${RSS_SIZE:-40MiB}
RSS_UPLOADS=${RSS_UPLOADS:-64}
RSS_TIMEOUT=${RSS_TIMEOUT:-1800}
RSS_SETTLE=${RSS_SETTLE:-3}
LIMIT_SECONDS=${LIMIT_SECONDS:-3}
FSYNC_MB=${FSYNC_MB:-1024}
OPS_CAP=${OPS_CAP:-20000}
MBPS_CAP=${MBPS_CAP:-2000}
BENCH_GRACE=${BENCH_GRACE:-300}
KEEP=${KEEP:-0}
PUT_SIZE=65536   # bytes of each put64 request body
PY=/usr/bin/python3
export LC_ALL=C

# shellcheck source=bench/lib.sh
. "$REPO/bench/lib.sh"
FAILURES=()
fail() { log "ERROR: $*"; FAILURES+=("$*"); }   # recorded, reported, exit 1 at the end
REPORTING=0
die() {
  log "error: $*"
  if [ "$REPORTING" = 0 ] && [ -n "${RESULTS:-}" ] && [ -s "$RESULTS" ]; then
    log "partial results so far:"
    report >&2 || true
  fi
  exit 1
}

for s in $SECTIONS; do
  case " limits put32 put64 get mixed dup growth rss " in *" $s "*) ;; *) die "unknown section: $s" ;; esac
done
want() { case " $SECTIONS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
want put32 && ! want limits && SECTIONS="limits $SECTIONS"   # put32's ratio needs the limits

require_tools
command -v openssl >/dev/null || die "needs openssl"

HZ=$(getconf CLK_TCK)
ms_per_op() { awk -v t="$1" -v n="$2" -v hz="$HZ" 'BEGIN { if (n > 0) printf "%.3f", t * 1000.0 / hz / n; else print "n/a" }'; }
proc_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }  # pid field
kb_to_mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
verdict() {  # value op threshold → met / not met
  awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
    if (v !~ /^[0-9.]+$/) { print "n/a"; exit }
    ok = (op == ">=") ? (v + 0 >= t + 0) : (v + 0 <= t + 0)
    print ok ? "met" : "**not met**" }'
}
fmt0() { awk -v v="$1" 'BEGIN { if (v ~ /^[0-9.eE+-]+$/) printf "%.0f", v; else print v }'; }
fmt1() { awk -v v="$1" 'BEGIN { if (v ~ /^[0-9.eE+-]+$/) printf "%.1f", v; else print v }'; }

mkdir -p "$BENCH_DIR"
RUN=$BENCH_DIR/run
rm -rf "$RUN"
mkdir -p "$RUN/json"
RESULTS=$RUN/results.rows
: >"$RESULTS"
# row SECTION MEASUREMENT RESULT BASELINE RATIO TARGET VERDICT LATENCY CPU
FS=$'\x1f'   # field separator of $RESULTS (tabs would collapse empty fields in read)
row() { local IFS=$FS; echo "$*" >>"$RESULTS"; }

# --- Herd --------------------------------------------------------------------------------
# start_herd NAME: a fresh data directory $RUN/NAME/data, a tenant, and a server on a free port.
HERD_DIR=
start_herd() {
  stop_herd
  HERD_DIR=$RUN/$1
  rm -rf "$HERD_DIR"
  mkdir -p "$HERD_DIR/data"
  HERD_PORT=$(free_port)
  HERD_EP=http://127.0.0.1:$HERD_PORT
  cat >"$HERD_DIR/herd.toml" <<EOF
[server]
listen = "127.0.0.1:$HERD_PORT"
log_level = "warn"

[storage]
data_dir = "$HERD_DIR/data"

[gc]
interval_seconds = 86400
EOF
  "$HERD_BIN" tenant create bench --json --config "$HERD_DIR/herd.toml" >"$HERD_DIR/tenant.json"
  AK=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_key"])' "$HERD_DIR/tenant.json")
  SK=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["secret_key"])' "$HERD_DIR/tenant.json")
  "$HERD_BIN" serve --config "$HERD_DIR/herd.toml" >"$HERD_DIR/herd.log" 2>&1 &
  HERD_PID=$!
  wait_port "$HERD_PORT" "$HERD_PID" herd
  log "herd ($1) pid $HERD_PID on $HERD_EP, data $HERD_DIR/data"
}
HERD_LOG_LINES=0
stop_herd() {
  [ -n "$HERD_PID" ] || return 0
  stop_pid "$HERD_PID"
  HERD_PID=
  local n
  n=$(grep -c . "$HERD_DIR/herd.log" 2>/dev/null || true)
  if [ "${n:-0}" -gt 0 ]; then
    log "herd log ($HERD_DIR/herd.log, level warn) has $n line(s); last ones:"
    tail -n 5 "$HERD_DIR/herd.log" | sed 's/^/[bench]   /' >&2
    HERD_LOG_LINES=$((HERD_LOG_LINES + n))
    cp "$HERD_DIR/herd.log" "$RUN/$(basename "$HERD_DIR").herd.log"
  fi
  if [ "$KEEP" != 1 ]; then rm -rf "$HERD_DIR/data"; fi
}
herd_alive() {  # label
  kill -0 "$HERD_PID" 2>/dev/null && return 0
  local rc=0
  wait "$HERD_PID" 2>/dev/null || rc=$?
  log "herd log tail:"; tail -n 20 "$HERD_DIR/herd.log" >&2 || true
  HERD_PID=
  die "herd exited (status $rc) during $1"
}
herd_objects() { "$HERD_BIN" stats --json --config "$HERD_DIR/herd.toml" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["objects"])'; }

# bench_summary FILE [OP]: "count errors ops_per_s mb_per_s p50_ms p99_ms seconds bytes" over the
# results of herd bench --json (all operations, or only OP); percentiles only for one operation.
bench_summary() {
  "$PY" - "$@" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
op = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
rs = [r for r in doc["results"] if op is None or r["op"] == op]
if not rs:
    print("0 0 0 0 - - 0 0"); sys.exit()
count = sum(r["count"] for r in rs); errors = sum(r["errors"] for r in rs)
nbytes = sum(r["bytes"] for r in rs); secs = max(r["seconds"] for r in rs)
p50 = "%.2f" % rs[0]["latency_ms"]["p50"] if len(rs) == 1 else "-"
p99 = "%.2f" % rs[0]["latency_ms"]["p99"] if len(rs) == 1 else "-"
print(count, errors, "%.1f" % (count / secs if secs else 0), "%.2f" % (nbytes / secs / 1e6 if secs else 0), p50, p99,
      "%.2f" % secs, nbytes)
EOF
}

# hbench LABEL TIME_LIMIT HERD_BENCH_ARGS...: runs herd bench against the current server with its
# own seed; sets B_OK (1/0), B_COUNT B_ERR B_OPS B_MBS B_P50 B_P99 B_SECS B_BYTES B_CPU (server
# CPU ms per operation) and B_JSON (the raw JSON file).
SEED_N=0
hbench() {
  local label=$1 limit=$2 before after rc=0
  shift 2
  SEED_N=$((SEED_N + 1))
  B_JSON=$RUN/json/$label.json
  log "$label: herd bench $*"
  before=$(cpu_ticks "$HERD_PID")
  timeout "$limit" "$HERD_BIN" bench --endpoint "$HERD_EP" --access-key "$AK" --secret-key "$SK" \
    --seed $((SEED + SEED_N)) --json "$@" >"$B_JSON" 2>"$RUN/json/$label.err" || rc=$?
  after=$(cpu_ticks "$HERD_PID")
  herd_alive "$label"
  B_OK=0 B_COUNT=0 B_ERR=0 B_OPS=n/a B_MBS=n/a B_P50=- B_P99=- B_SECS=0 B_BYTES=0 B_CPU=n/a
  if [ "$rc" = 124 ]; then
    fail "$label: herd bench did not finish within ${limit}s (killed)"; return 0
  elif [ "$rc" != 0 ] || ! [ -s "$B_JSON" ]; then
    fail "$label: herd bench exited with status $rc: $(tr '\r' '\n' <"$RUN/json/$label.err" | tail -n 3 | tr '\n' ' ')"; return 0
  fi
  read -r B_COUNT B_ERR B_OPS B_MBS B_P50 B_P99 B_SECS B_BYTES < <(bench_summary "$B_JSON")
  B_CPU=$(ms_per_op $((after - before)) "$B_COUNT")
  B_OK=1
  if [ "$B_COUNT" = 0 ]; then
    fail "$label: no operation completed (herd bench builds its random bodies inside the measured phase; a duration shorter than that leaves no time)"
    B_OK=0
  elif [ "$B_ERR" != 0 ]; then
    fail "$label: $B_ERR of $B_COUNT operations failed"
    B_OK=0
  fi
  log "$label: $B_COUNT ops in ${B_SECS}s, $B_OPS ops/s, $B_MBS MB/s, p50 $B_P50 ms, p99 $B_P99 ms, errors $B_ERR, server CPU $B_CPU ms/op"
}
# shown in the result column: the number, or the number plus the errors
res() {  # value unit
  if [ "$B_OK" = 1 ]; then echo "$1 $2"; elif [ "$B_COUNT" != 0 ]; then echo "$1 $2 (**$B_ERR errors**)"; else echo "**failed**"; fi
}
val() { [ "$B_OK" = 1 ] && echo "$1" || echo n/a; }   # only error-free numbers enter ratios
bound() { echo $((DURATION + BENCH_GRACE)); }
count_for() { awk -v d="$DURATION" -v cap="$1" -v min="$2" 'BEGIN { n = int(d * cap + 0.999); print (n < min ? min : n) }'; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$(date +%s)

# --- report (the table; die() prints it too, with the rows so far) ---------------------------
report() {
  REPORTING=1
  local load_after took
  load_after=$(cut -d' ' -f1-3 /proc/loadavg)
  took=$(( $(date +%s) - STARTED ))
  echo "| section | measurement | result | compared with | ratio | target | verdict | latency p50 / p99 ms | server CPU ms/op |"
  echo "|---|---|---:|---:|---:|---|---|---:|---:|"
  while IFS=$FS read -r sec what res base rat tgt vd lat cpu; do
    echo "| $sec | $what | $res | $base | $rat | $tgt | $vd | $lat | $cpu |"
  done <"$RESULTS"
  echo
  echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.0f GB RAM", $2/1048576}' /proc/meminfo)"
  echo "- kernel: $(uname -sr); $(openssl version | cut -d' ' -f1-2)"
  echo "- disk: $(disk_of "$BENCH_DIR"), BENCH_DIR=$BENCH_DIR"
  echo "- herd: $("$HERD_BIN" --version 2>/dev/null | head -1 || echo unknown) ($HERD_BIN), default threads, log_level warn; nginx: $("$NGINX" -v 2>&1 | cut -d/ -f2), worker_processes auto, WebDAV PUT (no fsync); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2) -t$THREADS"
  echo "- sections: $SECTIONS; ${DURATION}s per measured run; put64: ${WARMUP}s warm-up, median of $REPEAT run(s) per cell alternating Herd and nginx; seeds from $SEED; client and servers share the machine (loopback)"
  echo "- load average (1/5/15 min) before the runs: $LOAD_BEFORE; after: $load_after (anything well above 0 means other work competed for the CPUs); took ${took}s"
  echo "- MB = 10^6 bytes (RSS: /proc kB × 1024 / 10^6); server CPU ms/op = user+system CPU time of the server process(es) from /proc divided by the operations of the run"
  [ "$HERD_LOG_LINES" = 0 ] || echo "- herd logged $HERD_LOG_LINES warning/error line(s); copies in $RUN/*.herd.log"
  if [ "${#FAILURES[@]}" -gt 0 ]; then
    echo "- **errors** (the marked cells are not valid measurements):"
    for f in "${FAILURES[@]}"; do echo "  - $f"; done
  fi
}

# --- limits --------------------------------------------------------------------------------
SHA=n/a MD5=n/a FSYNC=n/a
openssl_mbs() {  # algorithm → MB/s (10^6 bytes/s) for 1 MiB blocks on one core
  openssl speed -evp "$1" -bytes 1048576 -seconds "$LIMIT_SECONDS" 2>/dev/null |
    awk -v a="$1" '$1 == a { v = $NF; sub(/k$/, "", v); printf "%.0f", v * 1000 / 1e6 }'
}
if want limits; then
  log "limits: openssl speed -evp sha256 / md5 (${LIMIT_SECONDS}s each)"
  SHA=$(openssl_mbs sha256); MD5=$(openssl_mbs md5)
  [ -n "$SHA" ] || { fail "openssl speed sha256 printed no number"; SHA=n/a; }
  [ -n "$MD5" ] || { fail "openssl speed md5 printed no number"; MD5=n/a; }
  BOTH=$(awk -v s="$SHA" -v m="$MD5" 'BEGIN { if (s > 0 && m > 0) printf "%.0f", 1 / (1 / s + 1 / m); else print "n/a" }')
  log "limits: sequential write + fsync of $FSYNC_MB MiB (dd bs=1M conv=fsync)"
  mkdir -p "$RUN/limits"
  head -c "$((FSYNC_MB * 1048576))" /dev/urandom >"$RUN/limits/random.bin"
  sync "$RUN/limits/random.bin"          # written back: only dd's own data goes to the disk below
  cat "$RUN/limits/random.bin" >/dev/null  # and in the page cache
  dd_out=$(dd if="$RUN/limits/random.bin" of="$RUN/limits/fsync.bin" bs=1M conv=fsync 2>&1) || die "dd failed: $dd_out"
  FSYNC=$(echo "$dd_out" | awk '/copied/ { for (i = 1; i <= NF; i++) if ($i ~ /^s,?$/) s = $(i-1); printf "%.0f", $1 / s / 1e6 }')
  [ -n "$FSYNC" ] || { fail "could not parse dd output: $dd_out"; FSYNC=n/a; }
  rm -f "$RUN/limits/random.bin" "$RUN/limits/fsync.bin"
  log "limits: sha256 $SHA MB/s, md5 $MD5 MB/s, one pass $BOTH MB/s, write+fsync $FSYNC MB/s"
  row limits "SHA-256, 1 core (openssl speed -evp, 1 MiB blocks)" "$SHA MB/s" "" "" "" "" "" ""
  row limits "MD5, 1 core (openssl speed -evp, 1 MiB blocks)" "$MD5 MB/s" "" "" "" "" "" ""
  row limits "SHA-256 + MD5 in one pass, 1 core: 1/(1/sha + 1/md5)" "$BOTH MB/s" "" "" "" "" "" ""
  row limits "sequential write + fsync, $FSYNC_MB MiB (dd bs=1M conv=fsync)" "$FSYNC MB/s" "" "" "" "" "" ""
fi
LIMIT=$(awk -v s="$SHA" -v f="$FSYNC" 'BEGIN { if (s ~ /^[0-9.]+$/ && f ~ /^[0-9.]+$/) printf "%.0f", (s < f ? s : f); else print "n/a" }')

# --- put32 ---------------------------------------------------------------------------------
if want put32; then
  start_herd put32
  for c in $PUT32_CONNS; do
    n=$(count_for "$(awk -v m="$MBPS_CAP" 'BEGIN { print m / 33.554432 }')" $((2 * c)))
    hbench "put32-c$c" "$(bound)" --op put --bucket "put32-c$c" --size 32MiB --objects "$n" --concurrency "$c" --duration "$DURATION"
    r=$(ratio "$(val "$B_MBS")" "$LIMIT")
    if [ "$c" = 1 ]; then tgt="≥ 0.70"; vd=$(verdict "$r" ">=" 0.70); else tgt="—"; vd=""; fi
    row put32 "PUT 32 MiB, concurrency $c (herd bench)" "$(res "$(fmt1 "$B_MBS")" MB/s)" \
      "$LIMIT MB/s = min(SHA-256, fsync write)" "$r" "$tgt" "$vd" "$B_P50 / $B_P99" "$B_CPU"
  done
  stop_herd
fi

# --- put64: Herd vs nginx ------------------------------------------------------------------
# run_wrk SERVER PORT LIST CONNS SECONDS TAG PID... → "rps errors p50_ms p99_ms cpu_ms_per_req exhausted statuses"
run_wrk() {
  local server=$1 port=$2 list=$3 conns=$4 secs=$5 tag=$6 out before after line
  shift 6
  before=$(cpu_ticks "$@")
  out=$(timeout $((secs + 60)) wrk -t"$THREADS" -c"$conns" -d"${secs}s" --timeout 10s \
          -s "$REPO/bench/put_unique.lua" "http://127.0.0.1:$port" -- "$list" "$THREADS" "$PUT_SIZE" "$tag" 2>&1) || {
    fail "$server $tag: wrk failed: $(echo "$out" | tail -n 3 | tr '\n' ' ')"; echo "0 1 - - n/a 0 wrk-failed"; return; }
  after=$(cpu_ticks "$@")
  echo "$out" >"$RUN/json/$tag.wrk"
  line=$(echo "$out" | awk -v hz="$HZ" -v ticks=$((after - before)) '
    /^RESULT/ {
      for (i = 2; i <= NF; i++) { k = $i; sub(/=.*/, "", k); v = $i; sub(/^[^=]*=/, "", v); r[k] = v }
      s = r["duration_us"] / 1e6
      bad = 0   # responses other than 2xx (put_unique.lua tallies every status; wrk counts only >= 400)
      n = split(r["statuses"], st, ",")
      for (j = 1; j <= n; j++) if (st[j] !~ /^2[0-9][0-9]=/ && st[j] != "none") bad += substr(st[j], index(st[j], "=") + 1)
      err = r["connect"] + r["read"] + r["write"] + r["timeout"] + (bad > r["status"] + 0 ? bad : r["status"] + 0)
      cpu = r["requests"] > 0 ? sprintf("%.3f", ticks * 1000.0 / hz / r["requests"]) : "n/a"
      printf "%.0f %d %.2f %.2f %s %d %s\n", r["requests"] / s, err, r["p50_us"] / 1000, r["p99_us"] / 1000, cpu, r["exhausted"], r["statuses"]
    }')
  [ -n "$line" ] || { fail "$server $tag: no RESULT line from wrk: $(echo "$out" | tail -n 3 | tr '\n' ' ')"; echo "0 1 - - n/a 0 no-result"; return; }
  read -r _ e _ _ _ x st <<<"$line"
  [ "$e" = 0 ] || fail "$server $tag: $e errors or non-2xx responses (statuses: $st; $(echo "$out" | grep -E 'Non-2xx|Socket errors' | sed 's/^ *//' | tr '\n' ' '))"
  [ "$x" = 0 ] || fail "$server $tag: $x wrk thread(s) ran out of URLs before ${secs}s; raise URL_RATE/NGINX_URL_RATE"
  echo "$line"
}
if want put64; then
  start_herd put64
  NGX_DIR=$RUN/put64-nginx
  rm -rf "$NGX_DIR"
  mkdir -p "$NGX_DIR/www/bench" "$NGX_DIR/body" "$NGX_DIR/urls"
  NGX_PORT=$(free_port)
  # PUT bodies: nginx's DAV module always spools the body to a file under client_body_temp_path
  # (same file system as root) and renames it into place; it does not fsync.
  start_nginx "$NGX_DIR" "$NGX_PORT" "$NGX_DIR/www" "  client_body_buffer_size 1m;
  client_max_body_size 64m;" "    location /bench/ {
      dav_methods PUT;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
    }"

  # One URL list per wrk run (fresh keys every run), generated before any load.
  herd_specs=() ngx_specs=()
  runs_for() { [ "$WARMUP" -gt 0 ] && echo w; seq "$REPEAT"; }
  for c in $CONNS; do
    for r in $(runs_for); do
      secs=$DURATION; [ "$r" = w ] && secs=$WARMUP
      herd_specs+=("$NGX_DIR/urls/h-c$c-$r.txt:h-c$c-$r:$((secs * URL_RATE))")
      ngx_specs+=("$NGX_DIR/urls/n-c$c-$r.txt:n-c$c-$r:$((secs * NGINX_URL_RATE))")
    done
  done
  log "put64: generating presigned PUT URLs for Herd ($URL_RATE per second of run) and paths for nginx"
  "$PY" "$REPO/bench/presign_urls.py" herd --endpoint "$HERD_EP" --access-key "$AK" --secret-key "$SK" \
    --bucket put64 --expires "$PRESIGN_EXPIRES" "${herd_specs[@]}"
  "$PY" "$REPO/bench/presign_urls.py" plain --bucket bench "${ngx_specs[@]}"

  median() { sort -n -k1,1 "$1" | awk '{ l[NR] = $0; e += $2; x += $6 } END { split(l[int((NR + 1) / 2)], f, " "); print f[1], e, f[3], f[4], f[5], x }'; }
  for c in $CONNS; do
    if [ "$WARMUP" -gt 0 ]; then
      run_wrk herd "$HERD_PORT" "$NGX_DIR/urls/h-c$c-w.txt" "$c" "$WARMUP" "h-c$c-w" "$HERD_PID" >/dev/null
      herd_alive "put64 warm-up c$c"
      run_wrk nginx "$NGX_PORT" "$NGX_DIR/urls/n-c$c-w.txt" "$c" "$WARMUP" "n-c$c-w" "$NGINX_PID" >/dev/null
    fi
    : >"$RUN/cell-herd"; : >"$RUN/cell-nginx"
    for r in $(seq "$REPEAT"); do
      run_wrk herd "$HERD_PORT" "$NGX_DIR/urls/h-c$c-$r.txt" "$c" "$DURATION" "h-c$c-$r" "$HERD_PID" >>"$RUN/cell-herd"
      herd_alive "put64 c$c run $r"
      run_wrk nginx "$NGX_PORT" "$NGX_DIR/urls/n-c$c-$r.txt" "$c" "$DURATION" "n-c$c-$r" "$NGINX_PID" >>"$RUN/cell-nginx"
    done
    read -r h_rps h_err h_p50 h_p99 h_cpu h_x < <(median "$RUN/cell-herd")
    read -r n_rps n_err n_p50 n_p99 n_cpu n_x < <(median "$RUN/cell-nginx")
    log "put64 c$c: herd $h_rps PUT/s (errors $h_err, p50 $h_p50 ms, p99 $h_p99 ms, ${h_cpu} ms CPU/req); nginx $n_rps PUT/s (errors $n_err, p50 $n_p50 ms, p99 $n_p99 ms, ${n_cpu} ms CPU/req)"
    h_res="$h_rps PUT/s" n_res="nginx $n_rps PUT/s" hv=$h_rps nv=$n_rps
    if [ "$h_err" != 0 ] || [ "$h_x" != 0 ]; then h_res="$h_res (**invalid: $h_err errors, $h_x threads out of URLs**)"; hv=n/a; fi
    if [ "$n_err" != 0 ] || [ "$n_x" != 0 ]; then n_res="$n_res (**invalid: $n_err errors, $n_x threads out of URLs**)"; nv=n/a; fi
    r=$(ratio "$hv" "$nv")
    if [ "$c" = 16 ]; then tgt="≥ 1.0"; vd=$(verdict "$r" ">=" 1.0); else tgt="—"; vd=""; fi
    row put64 "PUT 64 KiB unique bodies, $c connections (wrk; Herd presigned vs nginx WebDAV)" "$h_res" "$n_res" "$r" "$tgt" "$vd" \
      "$h_p50 / $h_p99 (nginx $n_p50 / $n_p99)" "$h_cpu (nginx $n_cpu)"
  done
  stop_pid "$NGINX_PID"; NGINX_PID=
  stop_herd
  [ "$KEEP" = 1 ] || rm -rf "$NGX_DIR/www" "$NGX_DIR/body" "$NGX_DIR/urls"
fi

# --- get and mixed -------------------------------------------------------------------------
if want get; then
  start_herd get
  hbench get "$(bound)" --op get --bucket bench-get --size 64KiB --objects "$GET_OBJECTS" --concurrency "$CONC" --duration "$DURATION"
  row get "GET 64 KiB, concurrency $CONC, $GET_OBJECTS objects (herd bench)" "$(res "$(fmt0 "$B_OPS")" "GET/s ($(fmt1 "$B_MBS") MB/s)")" \
    "" "" "" "" "$B_P50 / $B_P99" "—"
  stop_herd
fi
if want mixed; then
  start_herd mixed
  hbench mixed "$(bound)" --op mixed --bucket bench-mixed --size 64KiB --objects "$GET_OBJECTS" --concurrency "$CONC" --duration "$DURATION"
  parts="" lat=""
  if [ "$B_COUNT" != 0 ]; then
    for op in get put delete; do
      read -r _ _ o_ops _ o_p50 o_p99 _ _ < <(bench_summary "$B_JSON" "$op")
      parts="$parts${parts:+, }$op $(fmt0 "$o_ops")"
      lat="$lat${lat:+; }$op $o_p50 / $o_p99"
    done
  fi
  row mixed "mixed 60% GET / 30% PUT / 10% DELETE, 64 KiB, concurrency $CONC (herd bench)" \
    "$(res "$(fmt0 "$B_OPS")" "ops/s ($parts)")" "" "" "" "" "$lat" "—"
  stop_herd
fi

# --- dup: duplicate vs unique content --------------------------------------------------------
if want dup; then
  start_herd dup
  for size in $DUP_SIZES; do
    tag=$(echo "$size" | tr 'A-Z' 'a-z')
    n=$(count_for "$OPS_CAP" "$CONC")
    hbench "dup-$tag-unique" "$(bound)" --op put --bucket "dup-$tag-unique" --size "$size" --objects "$n" --concurrency "$CONC" --duration "$DURATION" --duplicates 0
    u_ok=$B_OK u_ops=$B_OPS u_res=$(res "$(fmt0 "$B_OPS")" PUT/s) u_lat="$B_P50 / $B_P99" u_cpu=$B_CPU
    hbench "dup-$tag-dup" "$(bound)" --op put --bucket "dup-$tag-dup" --size "$size" --objects "$n" --concurrency "$CONC" --duration "$DURATION" --duplicates 100
    uv=n/a; [ "$u_ok" = 1 ] && uv=$u_ops
    r=$(ratio "$(val "$B_OPS")" "$uv")
    row dup "PUT $size unique content (--duplicates 0), concurrency $CONC" "$u_res" "" "" "" "" "$u_lat" "$u_cpu"
    row dup "PUT $size duplicate content (--duplicates 100), concurrency $CONC" "$(res "$(fmt0 "$B_OPS")" PUT/s)" \
      "unique $(fmt0 "$u_ops") PUT/s" "$r" "≥ 1.5" "$(verdict "$r" ">=" 1.5)" "$B_P50 / $B_P99" "$B_CPU"
  done
  stop_herd
fi

# --- growth --------------------------------------------------------------------------------
if want growth; then
  start_herd growth
  fill_limit=$((FILL_MAX_SECONDS + BENCH_GRACE))
  n=$(count_for "$OPS_CAP" "$CONC")
  log "growth: filling the pool (herd bench's progress line: tail -f $RUN/json/growth-fill*.err)"
  hbench growth-fill-early "$fill_limit" --op put --bucket grow --size "$FILL_SIZE" --objects "$GROWTH_EARLY" \
    --concurrency "$FILL_CONC" --duration "$FILL_MAX_SECONDS"
  f1_ops=$B_OPS
  pool1=$(herd_objects)
  hbench growth-early "$(bound)" --op put --bucket grow-early --size "$GROWTH_SIZE" --objects "$n" --concurrency "$CONC" --duration "$DURATION"
  e_ok=$B_OK e_ops=$B_OPS e_res=$(res "$(fmt0 "$B_OPS")" PUT/s) e_lat="$B_P50 / $B_P99" e_cpu=$B_CPU
  # Fill bucket "grow" (keys bench/obj-0 ..) so that the pool holds GROWTH_OBJECTS objects.
  now=$(herd_objects)
  fill=$((GROWTH_OBJECTS - (now - GROWTH_EARLY)))
  f2_ops=n/a
  if [ "$fill" -gt "$GROWTH_EARLY" ]; then
    hbench growth-fill "$fill_limit" --op put --bucket grow --size "$FILL_SIZE" --objects "$fill" \
      --concurrency "$FILL_CONC" --duration "$FILL_MAX_SECONDS"
    f2_ops=$B_OPS
  else
    log "growth: the pool already holds $now objects (GROWTH_OBJECTS=$GROWTH_OBJECTS); no second fill"
  fi
  pool2=$(herd_objects)
  hbench growth-late "$(bound)" --op put --bucket grow-late --size "$GROWTH_SIZE" --objects "$n" --concurrency "$CONC" --duration "$DURATION"
  ev=n/a; [ "$e_ok" = 1 ] && ev=$e_ops
  r=$(ratio "$(val "$B_OPS")" "$ev")
  row growth "fill: PUT $FILL_SIZE, concurrency $FILL_CONC, to $GROWTH_EARLY then $GROWTH_OBJECTS pool objects" \
    "$(fmt0 "$f1_ops") then $(fmt0 "$f2_ops") PUT/s" "" "" "" "" "" ""
  row growth "PUT $GROWTH_SIZE, concurrency $CONC, pool holding $pool1 objects" "$e_res" "" "" "" "" "$e_lat" "$e_cpu"
  row growth "PUT $GROWTH_SIZE, concurrency $CONC, pool holding $pool2 objects" "$(res "$(fmt0 "$B_OPS")" PUT/s)" \
    "$(fmt0 "$e_ops") PUT/s at $pool1 objects" "$r" "≥ 0.80" "$(verdict "$r" ">=" 0.80)" "$B_P50 / $B_P99" "$B_CPU"
  # ListObjectsV2 over the whole bucket "grow", 1000 keys a page (--objects 1: the prepare phase
  # rewrites a single key; "bytes" in herd bench's list results counts keys).
  grow_keys=$(awk -v f="$fill" -v e="$GROWTH_EARLY" 'BEGIN { print (f > e ? f : e) }')
  hbench growth-list "$(bound)" --op list --bucket grow --size "$FILL_SIZE" --objects 1 --concurrency "$LIST_CONC" --duration "$DURATION"
  keys_s=$(awk -v b="$B_BYTES" -v s="$B_SECS" 'BEGIN { if (s > 0) printf "%.0f", b / s; else print "n/a" }')
  row growth "ListObjectsV2 of a $grow_keys-key bucket, $LIST_CONC lister(s), 1000 keys a page" \
    "$(res "$keys_s" "keys/s ($(fmt0 "$B_OPS") pages/s)")" "" "" "" "" "$B_P50 / $B_P99 per page" "—"
  sleep "$RSS_SETTLE"
  grow_rss=$(proc_kb "$HERD_PID" VmRSS)
  grow_hwm=$(proc_kb "$HERD_PID" VmHWM)
  row growth "herd RSS idle after the growth runs ($pool2 objects; peak during them)" \
    "$(kb_to_mb "$grow_rss") MB (peak $(kb_to_mb "$grow_hwm") MB)" "" "" "" "" "" ""
  stop_herd
fi

# --- rss -----------------------------------------------------------------------------------
if want rss; then
  start_herd rss
  sleep "$RSS_SETTLE"
  idle_kb=$(proc_kb "$HERD_PID" VmRSS)
  idle_mb=$(kb_to_mb "$idle_kb")
  log "rss: idle after start $idle_mb MB"
  # Bounded by the count (one upload per connection); the duration only caps it, because each of
  # herd bench's connections first builds its RSS_SIZE random body inside the measured phase.
  hbench rss-load $((RSS_TIMEOUT + 60)) --op put --bucket bench-rss --size "$RSS_SIZE" --objects "$RSS_UPLOADS" \
    --concurrency "$RSS_UPLOADS" --duration "$RSS_TIMEOUT"
  [ "$B_OK" != 1 ] || [ "$B_COUNT" = "$RSS_UPLOADS" ] || fail "rss-load: $B_COUNT of $RSS_UPLOADS uploads completed"
  load_res="$B_COUNT of $RSS_UPLOADS completed"; [ "$B_ERR" = 0 ] || load_res="$load_res, **$B_ERR errors**"
  peak_mb=$(kb_to_mb "$(proc_kb "$HERD_PID" VmHWM)")
  sleep "$RSS_SETTLE"
  after_mb=$(kb_to_mb "$(proc_kb "$HERD_PID" VmRSS)")
  log "rss: peak $peak_mb MB, idle after the load $after_mb MB"
  row rss "herd RSS idle after start (fresh server, ${RSS_SETTLE}s settle)" "$idle_mb MB" "" "" "≤ 30 MB" "$(verdict "$idle_mb" "<=" 30)" "" ""
  row rss "herd peak RSS (VmHWM) under $RSS_UPLOADS concurrent $RSS_SIZE PUTs ($load_res)" "$peak_mb MB" "" "" "≤ 150 MB" \
    "$(verdict "$peak_mb" "<=" 150)" "$B_P50 / $B_P99" "$B_CPU"
  row rss "herd RSS idle again after that load" "$after_mb MB" "" "" "" "" "" ""
  stop_herd
fi

# --- done ----------------------------------------------------------------------------------
report | tee "$RUN/results.md"
log "results: $RUN/results.md"
[ "${#FAILURES[@]}" = 0 ] || { log "${#FAILURES[@]} error(s); see the end of the table"; exit 1; }

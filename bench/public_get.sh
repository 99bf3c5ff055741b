#!/usr/bin/env bash
# Public GET benchmark: Herd's public endpoint against Debian's nginx serving the same files.
#
#   bench/public_get.sh
#
# One command: installs nginx and wrk with apt-get when missing (as root), generates a
# deterministic corpus (2,000 files of 20-200 KB, 20 files of 10-40 MB), stores it in a fresh
# Herd (PUT with x-amz-acl: public-read) and lays the same files out for nginx (hard links under
# one root, same URL paths), starts both on loopback as child processes of this script, checks
# that both serve identical bytes, then runs wrk (-t THREADS) at each connection count for:
#   small  GETs of random small files
#   large  GETs of random large files
#   range  GETs of random 1 MB ranges of the large files
# and prints a Markdown table (also written to $BENCH_DIR/results.md) with the machine details.
# Everything it started is stopped on exit (trap).
#
# Environment (defaults in brackets):
#   HERD_BIN   herd binary [<repo>/build/herd]
#   BENCH_DIR  scratch directory for corpus, data and configs [/var/tmp/herd-bench]
#   DURATION   seconds per measured run [10]      WARMUP  seconds of warm-up per run [2]
#   CONNS      connection counts ["16 64"]        THREADS wrk threads [2]
#   SCENARIOS  ["small large range"]              SEED    corpus seed [20240601]
#   SMALL / LARGE  corpus file counts [2000 / 20]
#   REPEAT     measured runs per server and cell, alternating Herd and nginx; the table shows
#              the median [1]
#
# Note: installing Debian's nginx package may start the distribution's own nginx service on
# port 80; this script neither uses nor stops it.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HERD_BIN=${HERD_BIN:-$REPO/build/herd}
BENCH_DIR=${BENCH_DIR:-/var/tmp/herd-bench}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNS=${CONNS:-"16 64"}
THREADS=${THREADS:-2}
SCENARIOS=${SCENARIOS:-"small large range"}
SEED=${SEED:-20240601}
SMALL=${SMALL:-2000}
LARGE=${LARGE:-20}
REPEAT=${REPEAT:-1}
BUCKET=bench-media
PY=/usr/bin/python3

# shellcheck source=bench/lib.sh
. "$REPO/bench/lib.sh"
require_tools

mkdir -p "$BENCH_DIR"
CORPUS=$BENCH_DIR/corpus
RUN=$BENCH_DIR/run
rm -rf "$RUN"
mkdir -p "$RUN"

# --- corpus ------------------------------------------------------------------------------
"$PY" "$REPO/bench/make_corpus.py" "$CORPUS" --seed "$SEED" --small "$SMALL" --large "$LARGE"
"$PY" "$REPO/bench/load_herd.py" urls --corpus "$CORPUS" --bucket "$BUCKET" --out "$RUN"

# --- Herd --------------------------------------------------------------------------------
S3_PORT=$(free_port)
PUB_PORT=$(free_port)
mkdir -p "$RUN/herd-data"
cat >"$RUN/herd.toml" <<EOF
[server]
listen = "127.0.0.1:$S3_PORT"
log_level = "warn"

[storage]
data_dir = "$RUN/herd-data"

[gc]
interval_seconds = 86400

[public]
listen = "127.0.0.1:$PUB_PORT"
object_urls = "serve"
EOF
"$HERD_BIN" serve --config "$RUN/herd.toml" >"$RUN/herd.log" 2>&1 &
HERD_PID=$!
wait_port "$S3_PORT" "$HERD_PID" herd
wait_port "$PUB_PORT" "$HERD_PID" "herd (public endpoint)"
"$PY" "$REPO/bench/load_herd.py" upload --herd "$HERD_BIN" --data "$RUN/herd-data" \
  --endpoint "http://127.0.0.1:$S3_PORT" --corpus "$CORPUS" --bucket "$BUCKET"

# --- nginx -------------------------------------------------------------------------------
NGX_PORT=$(free_port)
WWW=$RUN/www
mkdir -p "$WWW/$BUCKET" "$RUN/nginx"
cp -al "$CORPUS/small" "$CORPUS/large" "$WWW/$BUCKET/"
start_nginx "$RUN/nginx" "$NGX_PORT" "$WWW" "  include /etc/nginx/mime.types;" "    location / { }"

"$PY" "$REPO/bench/load_herd.py" verify --corpus "$CORPUS" --bucket "$BUCKET" --port "$PUB_PORT" --port "$NGX_PORT"

# --- load --------------------------------------------------------------------------------
# run_wrk PORT LIST MODE CONNS SECONDS → "rps MBps errors cpu_ms_per_req" on stdout
run_wrk() {
  local port=$1 list=$2 mode=$3 conns=$4 secs=$5 pids out before after
  if [ "$port" = "$PUB_PORT" ]; then pids=$HERD_PID; else pids=$NGINX_PID; fi
  before=$(cpu_ticks $pids)
  out=$(timeout $((secs + 30)) wrk -t"$THREADS" -c"$conns" -d"${secs}s" --timeout 10s \
          -s "$REPO/bench/random_get.lua" "http://127.0.0.1:$port" -- "$list" "$mode" 2>&1) || {
    log "wrk failed: $out"; echo "0 0 wrk-failed 0"; return; }
  after=$(cpu_ticks $pids)
  echo "$out" | awk -v hz="$(getconf CLK_TCK)" -v ticks=$((after - before)) '
    /^RESULT/ {
      for (i = 2; i <= NF; i++) { split($i, kv, "="); r[kv[1]] = kv[2] }
      s = r["duration_us"] / 1e6
      err = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
      cpu = r["requests"] > 0 ? ticks * 1000.0 / hz / r["requests"] : 0
      printf "%.0f %.1f %d %.3f\n", r["requests"] / s, r["bytes"] / 1e6 / s, err, cpu
    }'
}

list_for() { case $1 in small) echo "$RUN/small.txt" ;; *) echo "$RUN/large.txt" ;; esac; }
mode_for() { case $1 in range) echo range ;; *) echo whole ;; esac; }

RESULTS=$RUN/results.tsv
: >"$RESULTS"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for scenario in $SCENARIOS; do
  for c in $CONNS; do
    list=$(list_for "$scenario")
    mode=$(mode_for "$scenario")
    if [ "$WARMUP" -gt 0 ]; then
      run_wrk "$PUB_PORT" "$list" "$mode" "$c" "$WARMUP" >/dev/null
      run_wrk "$NGX_PORT" "$list" "$mode" "$c" "$WARMUP" >/dev/null
    fi
    : >"$RUN/cell-herd" ; : >"$RUN/cell-nginx"
    for _ in $(seq "$REPEAT"); do
      run_wrk "$PUB_PORT" "$list" "$mode" "$c" "$DURATION" >>"$RUN/cell-herd"
      run_wrk "$NGX_PORT" "$list" "$mode" "$c" "$DURATION" >>"$RUN/cell-nginx"
    done
    # The run with the median req/s (errors: the sum over all runs).
    median() { sort -n -k1,1 "$1" | awk '{ l[NR] = $0; e += $3 } END { split(l[int((NR + 1) / 2)], f, " "); print f[1], f[2], e, f[4] }'; }
    read -r h_rps h_mbs h_err h_cpu < <(median "$RUN/cell-herd")
    read -r n_rps n_mbs n_err n_cpu < <(median "$RUN/cell-nginx")
    log "$scenario c=$c: herd $h_rps req/s $h_mbs MB/s (errors $h_err, ${h_cpu} ms CPU/req); nginx $n_rps req/s $n_mbs MB/s (errors $n_err, ${n_cpu} ms CPU/req)"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scenario" "$c" "$h_rps" "$h_mbs" "$n_rps" "$n_mbs" \
      "$h_err" "$n_err" "$h_cpu" "$n_cpu" >>"$RESULTS"
  done
done

# --- report ------------------------------------------------------------------------------
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
{
  echo "| scenario | conns | Herd req/s | Herd MB/s | nginx req/s | nginx MB/s | ratio Herd/nginx | Herd CPU ms/req | nginx CPU ms/req |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  while IFS=$'\t' read -r sc c hr hm nr nm he ne hc nc; do
    ratio=$(awk -v a="$hr" -v b="$nr" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
    flag=""
    [ "$he" != 0 ] && flag=" (herd errors: $he)"
    [ "$ne" != 0 ] && flag="$flag (nginx errors: $ne)"
    echo "| $sc | $c | $hr | $hm | $nr | $nm | $ratio$flag | $hc | $nc |"
  done <"$RESULTS"
  echo
  echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.0f GB RAM", $2/1048576}' /proc/meminfo)"
  echo "- kernel: $(uname -sr)"
  echo "- disk: $(disk_of "$BENCH_DIR"); the corpus (~$(du -sh "$CORPUS" | cut -f1)) fits in the page cache"
  echo "- herd: $("$HERD_BIN" --version 2>/dev/null | head -1 || echo unknown) ($HERD_BIN), default threads; nginx: $("$NGINX" -v 2>&1 | cut -d/ -f2), worker_processes auto; $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
  echo "- wrk -t$THREADS, ${DURATION}s per run after a ${WARMUP}s warm-up, median of $REPEAT run(s) per cell alternating Herd and nginx; client and servers share the machine (loopback)"
  echo "- load average (1/5/15 min) before the runs: $LOAD_BEFORE; after: $LOAD_AFTER (anything well above 0 means other work competed for the CPUs)"
  echo "- MB/s = 10^6 bytes per second of response (headers + bodies) as counted by wrk; CPU ms/req = server user+system CPU time per request"
} | tee "$RUN/results.md"
log "results: $RUN/results.md"

#!/usr/bin/env bash
# Federation economics: what delivering a stream of posts with media to many instances costs when
# the instances' storage is Herd pools, against the seed model's V1 (every instance downloads and
# stores every file) and the ideal (each pool downloads and stores each distinct file once).
#
#   bench/federation.sh
#
# One command: starts POOLS Herd pools (`herd serve`, each its own data directory and ports, its
# fetcher allowed to reach only the origin's port) with TENANTS tenants each (an instance, each with
# its own bucket) on loopback as child processes of this script, then runs
# bench/federation_replay.py, which
#   - generates from SEED a corpus of FILES media files (sizes log-uniform in MIN_SIZE..MAX_SIZE
#     bytes, random bytes) and a stream of POSTS posts by ORIGINS remote instances, each with
#     1..MAX_ATTACHMENTS attachments. An attachment shows a file drawn uniformly from the corpus:
#     its first showing gets a new URL; later ones re-share an existing URL of that file with
#     probability SAME_URL, otherwise re-upload the same bytes under a new URL (so pools see known
#     bytes under an unknown URL: "present");
#   - gives each post a number of follower instances drawn from Zipf(ZIPF_S) over
#     1..POOLS×TENANTS, the followers chosen at random among all instances (so across pools);
#   - serves the corpus from an origin web server on 127.0.0.1 that counts (and logs, to
#     $BENCH_DIR/run/origin.log) every request and every body byte it sends, per pool;
#   - for each (post, follower instance, attachment), in stream order with THREADS concurrent
#     calls, calls POST /_herd/v1/retrieve on the instance's own pool (SigV4 with the tenant's keys)
#     with key cache/media_attachments/<post>/<n>, and checks each answer's SHA-256 and size;
#   - reads `herd stats --json` of each pool and prints one Markdown table (also written to
#     $BENCH_DIR/run/results.md, the numbers to results.json): bytes downloaded from origins,
#     moved between pools and stored, for V1, the ideal and Herd, plus per-pool detail.
# The accounting (stated in the output too):
#   V1     each (instance, distinct URL it received) is a download and an upload to the instance's
#          storage, and each distinct URL also has the poster's copy (client → instance → storage):
#          stored = Σ_url size + Σ_(instance,url) size, moved = 2 × stored. The seed's example, a
#          1 MB image to 1000 instances: 1001 MB stored, 2002 MB moved.
#   ideal  each pool downloads each distinct URL its instances received once (it cannot know two
#          URLs hold the same bytes before it has both) and stores each distinct SHA-256 once;
#          nothing moves between pools (no URL names a pool: no peers are configured). With
#          DIGESTS=1: each distinct content once instead of each URL. Seed accounting: moved =
#          the posters' uploads (2 × Σ_url size) + downloaded, stored = the posters' copies
#          (Σ_url size) + stored in pools.
#   Herd   downloaded = what the origin sent; stored = Σ physical_bytes over the pools.
# The target is Herd = the ideal, exactly: the script exits 1, naming each number that differs
# (total and per pool: origin GETs, bytes, blobs, stored bytes, objects), or on any failed
# request. The economics should not depend on timing, so one run is enough (the same SEED gives
# the same table, except the replay time and, under concurrency, the split of added/present).
# Everything it started is stopped on exit (trap), by PID.
#
# Environment (defaults in brackets):
#   HERD_BIN   herd binary [<repo>/build/herd]       PY  python with boto3 [/usr/bin/python3]
#   BENCH_DIR  scratch directory; BENCH_DIR/run is replaced each run [/var/tmp/herd-federation-bench]
#   POOLS [4]  TENANTS per pool [5]  POSTS [400]  FILES [200]  MIN_SIZE [20000]  MAX_SIZE [2000000]
#   MAX_ATTACHMENTS [4]  ORIGINS [8]  SAME_URL [0.75]  ZIPF_S [1.1]  SEED [20261208]
#   THREADS    concurrent retrieve calls [8]
#   DIGESTS=1  the origin declares each file's SHA-256 (Repr-Digest, RFC 9530) on GET and HEAD, as
#              Herd's public endpoint does; the ideal is then one download per pool and distinct
#              content (a pool that HEADs first knows the bytes of a new URL it already holds) [0]
#   ACL        the canned ACL of each retrieved object [public-read, as Mastodon stores its media
#              cache (S3_PERMISSION)]; with "private", bytes a URL's digest only claims are not
#              shared between tenants (a hash alone never gives a tenant bytes it could not read),
#              so DIGESTS=1 downloads more than the ideal
#   URL_CACHE_SECONDS  the pools' [fetch] url_cache_seconds [3600] (must outlast the replay)
#   TIMEOUT    seconds per request [60]   MAX_SECONDS  bound of the replay [900]
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PY:-/usr/bin/python3}
HERD_BIN=${HERD_BIN:-$REPO/build/herd}
# shellcheck source=bench/lib.sh
. "$REPO/bench/lib.sh"

BENCH_DIR=${BENCH_DIR:-/var/tmp/herd-federation-bench}
POOLS=${POOLS:-4}
TENANTS=${TENANTS:-5}
POSTS=${POSTS:-400}
FILES=${FILES:-200}
MIN_SIZE=${MIN_SIZE:-20000}
MAX_SIZE=${MAX_SIZE:-2000000}
MAX_ATTACHMENTS=${MAX_ATTACHMENTS:-4}
ORIGINS=${ORIGINS:-8}
SAME_URL=${SAME_URL:-0.75}
ZIPF_S=${ZIPF_S:-1.1}
SEED=${SEED:-20261208}
THREADS=${THREADS:-8}
URL_CACHE_SECONDS=${URL_CACHE_SECONDS:-3600}
TIMEOUT=${TIMEOUT:-60}
DIGESTS=${DIGESTS:-0}
ACL=${ACL:-public-read}
MAX_SECONDS=${MAX_SECONDS:-900}

[ -x "$HERD_BIN" ] || die "herd binary not found: $HERD_BIN (build it or set HERD_BIN)"
"$PY" -c 'import boto3' 2>/dev/null || die "$PY lacks boto3: apt-get install -y python3-boto3"
for v in POOLS TENANTS POSTS FILES MIN_SIZE MAX_SIZE MAX_ATTACHMENTS ORIGINS THREADS URL_CACHE_SECONDS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
case $DIGESTS in 0 | 1) ;; *) die "DIGESTS must be 0 or 1 (got '$DIGESTS')" ;; esac
[ "$POOLS" -le 20 ] && [ "$TENANTS" -le 50 ] || die "at most 20 pools of 50 tenants"

# The pools and the replay this script started; all stopped on exit (the replay runs in the
# background so that a TERM or INT reaches this trap at once, not after the replay).
POOL_PIDS=()
REPLAY_PID=
cleanup() {
  local pid
  stop_pid "$REPLAY_PID"
  for pid in "${POOL_PIDS[@]}"; do stop_pid "$pid"; done
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
CORES=$(nproc)
[ "$(readlink -m "$BENCH_DIR")" != / ] || die "BENCH_DIR must not be /"
RUN=$BENCH_DIR/run
mkdir -p "$BENCH_DIR"
rm -rf "$RUN"
mkdir -p "$RUN"
log "load before the run: $LOAD_BEFORE ($CORES cores); scratch: $RUN"

# Ports: free ones from the OS, none used twice.
USED_PORTS=" "
new_port() {  # VAR: sets it (not a subshell, so USED_PORTS keeps what it took)
  local _np
  for _ in $(seq 50); do
    _np=$(free_port)
    case $USED_PORTS in *" $_np "*) continue ;; esac
    USED_PORTS="$USED_PORTS$_np "
    printf -v "$1" "%s" "$_np"
    return 0
  done
  die "no free loopback port found"
}
new_port ORIGIN_PORT
POOLS_JSON=$RUN/pools.json
echo "[" >"$POOLS_JSON"
for p in $(seq 0 $((POOLS - 1))); do
  dir=$RUN/pool$p
  mkdir -p "$dir"
  new_port port
  new_port public_port
  ua="Herd-federation-bench pool$p"
  cat >"$dir/herd.toml" <<EOF
[server]
listen = "127.0.0.1:$port"
log_level = "info"
[storage]
data_dir = "$dir/data"
[public]
listen = "127.0.0.1:$public_port"
[fetch]
allow_private = ["127.0.0.1/32"]
allowed_ports = [$ORIGIN_PORT]
url_cache_seconds = $URL_CACHE_SECONDS
timeout_seconds = $TIMEOUT
user_agent = "$ua"
EOF
  tenants=""
  for t in $(seq 0 $((TENANTS - 1))); do
    name=$(printf 'p%dt%d' "$p" "$t")
    json=$("$HERD_BIN" tenant create "$name" --json --config "$dir/herd.toml") ||
      die "herd tenant create $name failed"
    tenants="$tenants${tenants:+,}$json"
  done
  [ "$p" = 0 ] || echo "," >>"$POOLS_JSON"
  printf '{"name": "pool%d", "port": %d, "public_port": %d, "config": "%s", "data_dir": "%s", "user_agent": "%s", "tenants": [%s]}\n' \
    "$p" "$port" "$public_port" "$dir/herd.toml" "$dir/data" "$ua" "$tenants" >>"$POOLS_JSON"
  "$HERD_BIN" serve --config "$dir/herd.toml" >"$dir/herd.log" 2>&1 &
  POOL_PIDS+=($!)
  wait_port "$port" "${POOL_PIDS[-1]}" "herd pool$p (log: $dir/herd.log)"
  wait_port "$public_port" "${POOL_PIDS[-1]}" "herd pool$p public endpoint (log: $dir/herd.log)"
done
echo "]" >>"$POOLS_JSON"
log "$POOLS pools × $TENANTS tenants serving; origin on 127.0.0.1:$ORIGIN_PORT"

rc=0
digest_flag=()
[ "$DIGESTS" = 1 ] && digest_flag=(--digests)
"$PY" "$REPO/bench/federation_replay.py" "${digest_flag[@]}" --pools "$POOLS_JSON" --origin-port "$ORIGIN_PORT" \
  --herd-bin "$HERD_BIN" --out "$RUN" --seed "$SEED" --files "$FILES" --min-size "$MIN_SIZE" \
  --max-size "$MAX_SIZE" --posts "$POSTS" --max-attachments "$MAX_ATTACHMENTS" --origins "$ORIGINS" \
  --same-url "$SAME_URL" --zipf-s "$ZIPF_S" --threads "$THREADS" --timeout "$TIMEOUT" \
  --max-seconds "$MAX_SECONDS" --url-cache-seconds "$URL_CACHE_SECONDS" --acl "$ACL" \
  --machine "$CORES cores, load $LOAD_BEFORE before the run, $(date -u +%Y-%m-%d), herd $HERD_BIN" &
REPLAY_PID=$!
wait "$REPLAY_PID" || rc=$?
REPLAY_PID=
for pid in "${POOL_PIDS[@]}"; do
  kill -0 "$pid" 2>/dev/null || { log "a pool (pid $pid) died during the run; see $RUN/pool*/herd.log"; rc=1; }
done
[ "$rc" = 0 ] && log "Herd = the ideal, exactly (results: $RUN/results.md)" ||
  log "FAILED (exit $rc): see the messages above and $RUN/results.json"
exit "$rc"

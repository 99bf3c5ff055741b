#!/usr/bin/env bash
# Backend benchmark (issue #12): the same client (`herd bench`, 64 KiB objects, CONC connections)
# against Herd on its embedded backends (SQLite + local disk) and on the scaled-out ones
# (PostgreSQL 15 metadata + Ceph RGW blobs, both throwaway servers on loopback started by
# scripts/test-postgres.sh and scripts/test-rgw.sh), alternating, ROUNDS times; medians and ratios.
#
#   bench/backends.sh
#
# Cells, each a fresh server (and a fresh PostgreSQL schema and RGW bucket) per round:
#   put       PUT/s, unique bodies (nothing deduplicates), on SQLite + disk, PostgreSQL + disk
#             (target ≥ 0.5× SQLite + disk) and PostgreSQL + RGW; and the same herd bench run
#             straight at RGW (its own PUT rate, the limit of any store on it), for the ratio
#             PostgreSQL+RGW ÷ RGW alone
#   get hot   GET/s of GET_OBJECTS prepared objects: on PostgreSQL+RGW from the node's hot cache
#             (uploads stay in it); target ≥ 0.9× local disk
#   get cold  GET/s with the hot cache off ([blobs] cache_bytes = 0): every GET fetches the blob
#             from RGW and verifies it (no target; what a node's first reads cost)
# Prints a Markdown table (also $BENCH_DIR/results.md). Everything it started is stopped on exit.
#
# Environment (defaults in brackets): HERD_BIN [<repo>/build/herd], BENCH_DIR
# [/var/tmp/herd-backend-bench], ROUNDS [3], CONC [16], PUT_OBJECTS [3000], GET_OBJECTS [500],
# DURATION [15] seconds per measured phase.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
HERD_BIN=${HERD_BIN:-$ROOT/build/herd}
BENCH_DIR=${BENCH_DIR:-/var/tmp/herd-backend-bench}
ROUNDS=${ROUNDS:-3}
CONC=${CONC:-16}
PUT_OBJECTS=${PUT_OBJECTS:-3000}
GET_OBJECTS=${GET_OBJECTS:-500}
DURATION=${DURATION:-15}
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
[ -x "$HERD_BIN" ] || die "herd binary not found: $HERD_BIN"

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR/json"
SERVERS=$BENCH_DIR/servers
stop_servers() {
  cleanup
  "$ROOT/scripts/test-rgw.sh" stop "$SERVERS/rgw" >/dev/null 2>&1 || true
  "$ROOT/scripts/test-postgres.sh" stop "$SERVERS/postgres" >/dev/null 2>&1 || true
}
trap stop_servers EXIT
log "starting PostgreSQL and Ceph RGW on loopback"
"$ROOT/scripts/test-postgres.sh" start "$SERVERS/postgres" >/dev/null
"$ROOT/scripts/test-rgw.sh" start "$SERVERS/rgw" >/dev/null
PG=$(cat "$SERVERS/postgres/conninfo")
RGW_EP=$(cat "$SERVERS/rgw/endpoint")
RGW_AK=$(cat "$SERVERS/rgw/access_key")
RGW_SK=$(cat "$SERVERS/rgw/secret_key")

# start_herd NAME BACKEND [CACHE_BYTES]: a fresh server ("disk": SQLite + disk; "pgdisk":
# a PostgreSQL schema of its own + disk; "scaled": that + an RGW bucket of its own), a tenant;
# sets HERD_DIR HERD_EP AK SK.
N=0
start_herd() {
  local name=$1 backend=$2 cache=${3:-1073741824} port extra=""
  N=$((N + 1))
  HERD_DIR=$BENCH_DIR/$name-$N
  mkdir -p "$HERD_DIR/data"
  port=$(free_port)
  HERD_EP=http://127.0.0.1:$port
  if [ "$backend" != disk ]; then
    local schema=bench_$N
    psql -X -q -d "$PG" -c "CREATE SCHEMA $schema" >/dev/null
    extra="[meta]
backend = \"postgres\"
url = \"$PG options='-csearch_path=$schema'\""
  fi
  if [ "$backend" = scaled ]; then
    local bucket=herd-bench-$N
    "$PY" - "$RGW_EP" "$RGW_AK" "$RGW_SK" "$bucket" <<'EOF'
import sys, boto3
from botocore.config import Config
ep, ak, sk, bucket = sys.argv[1:]
boto3.client("s3", endpoint_url=ep, aws_access_key_id=ak, aws_secret_access_key=sk, region_name="us-east-1",
             config=Config(s3={"addressing_style": "path"})).create_bucket(Bucket=bucket)
EOF
    extra="$extra
[blobs]
backend = \"s3\"
endpoint = \"$RGW_EP\"
bucket = \"$bucket\"
access_key = \"$RGW_AK\"
secret_key = \"$RGW_SK\"
cache_bytes = $cache"
  fi
  cat >"$HERD_DIR/herd.toml" <<EOF
[server]
listen = "127.0.0.1:$port"
log_level = "warn"
[storage]
data_dir = "$HERD_DIR/data"
[gc]
interval_seconds = 86400
$extra
EOF
  "$HERD_BIN" tenant create bench --json --config "$HERD_DIR/herd.toml" >"$HERD_DIR/tenant.json"
  AK=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_key"])' "$HERD_DIR/tenant.json")
  SK=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["secret_key"])' "$HERD_DIR/tenant.json")
  "$HERD_BIN" serve --config "$HERD_DIR/herd.toml" >"$HERD_DIR/herd.log" 2>&1 &
  HERD_PID=$!
  wait_port "$port" "$HERD_PID" herd
}
stop_herd() { stop_pid "$HERD_PID"; HERD_PID=; rm -rf "$HERD_DIR/data"; }

# measure LABEL ARGS...: ops/s of one herd bench run (fails the script on any error).
measure() {
  local label=$1 out
  shift
  out=$BENCH_DIR/json/$label-$N.json
  timeout $((DURATION * 4 + 120)) "$HERD_BIN" bench --endpoint "$HERD_EP" --access-key "$AK" --secret-key "$SK" \
    --size 64KiB --concurrency "$CONC" --duration "$DURATION" --seed "$N" --json "$@" >"$out" 2>"$out.err"
  "$PY" - "$out" <<'EOF'
import json, sys
rs = json.load(open(sys.argv[1]))["results"]
errors = sum(r["errors"] for r in rs)
if errors:
    sys.exit("%d failed operations" % errors)
print("%.1f" % (sum(r["count"] for r in rs) / max(r["seconds"] for r in rs)))
EOF
}

declare -A RES
for round in $(seq "$ROUNDS"); do
  for backend in disk pgdisk scaled cold rgw; do  # alternating, so drift hits every cell alike
    case $backend in
      disk) start_herd disk disk ;;
      pgdisk) start_herd pgdisk pgdisk ;;
      scaled) start_herd scaled scaled ;;
      cold) start_herd cold scaled 0 ;;
      rgw)  # herd bench straight at RGW, in a bucket of its own
        N=$((N + 1)); HERD_EP=$RGW_EP AK=$RGW_AK SK=$RGW_SK
        RES[put-rgw]+="$(measure put-rgw --op put --objects "$PUT_OBJECTS" --bucket raw-bench-$N) "
        log "round $round rgw alone: put ${RES[put-rgw]}"
        continue ;;
    esac
    if [ "$backend" != cold ]; then
      RES[put-$backend]+="$(measure put-$backend --op put --objects "$PUT_OBJECTS") "
    fi
    if [ "$backend" != pgdisk ]; then
      RES[get-$backend]+="$(measure get-$backend --op get --objects "$GET_OBJECTS") "
    fi
    log "round $round $backend: put ${RES[put-$backend]:-} get ${RES[get-$backend]:-}"
    stop_herd
  done
done

median() { printf '%s\n' $1 | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# ratio MEASURED BASELINE: the median of the per-round ratios (each round measured both).
ratio() {
  paste -d' ' <(printf '%s\n' $1) <(printf '%s\n' $2) | awk '{print $1 / $2}' | sort -n |
    awk '{a[NR]=$1} END {printf "%.2f", (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'
}
PD=$(median "${RES[put-disk]}") PP=$(median "${RES[put-pgdisk]}") PS=$(median "${RES[put-scaled]}")
PR=$(median "${RES[put-rgw]}")
GD=$(median "${RES[get-disk]}") GS=$(median "${RES[get-scaled]}") GC=$(median "${RES[get-cold]}")
{
  echo "Machine: $(nproc) cores, load before the run $LOAD_BEFORE; $ROUNDS alternating rounds: medians of the"
  echo "rates, and medians of the per-round ratios;"
  echo "herd bench, 64 KiB objects, $CONC connections, ${DURATION}s per phase."
  echo
  echo "| measurement | baseline | measured | ratio | target |"
  echo "|---|---:|---:|---:|---:|"
  echo "| PUT/s: PostgreSQL + disk ÷ SQLite + disk | $PD | $PP | $(ratio "${RES[put-pgdisk]}" "${RES[put-disk]}") | ≥ 0.5 |"
  echo "| PUT/s: PostgreSQL + RGW ÷ SQLite + disk | $PD | $PS | $(ratio "${RES[put-scaled]}" "${RES[put-disk]}") | — |"
  echo "| PUT/s: PostgreSQL + RGW ÷ RGW alone (same client straight at RGW) | $PR | $PS | $(ratio "${RES[put-scaled]}" "${RES[put-rgw]}") | — |"
  echo "| GET/s: PostgreSQL + RGW, hot cache ÷ SQLite + local disk | $GD | $GS | $(ratio "${RES[get-scaled]}" "${RES[get-disk]}") | ≥ 0.9 |"
  echo "| GET/s: PostgreSQL + RGW, cache off (each GET fetched from RGW, verified) ÷ SQLite + disk | $GD | $GC | $(ratio "${RES[get-cold]}" "${RES[get-disk]}") | — |"
  echo
  echo "Runs: put disk [${RES[put-disk]}] pgdisk [${RES[put-pgdisk]}] scaled [${RES[put-scaled]}] rgw [${RES[put-rgw]}];"
  echo "get disk [${RES[get-disk]}] hot [${RES[get-scaled]}] cold [${RES[get-cold]}]"
} | tee "$BENCH_DIR/results.md"

#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL 15 server for the tests, on 127.0.0.1 only.
# Usage: scripts/test-postgres.sh start|stop|kill|restart STATE_DIR
#   start:   initdb into a fresh directory, start the server on a free loopback port, create the
#            database "herd_test", and write its libpq connection string to STATE_DIR/conninfo.
#   stop:    stops the server by the PID it recorded and removes its directory.
#   kill:    SIGKILLs the server and every process it started, as a crash would (keeps its data).
#   restart: starts a killed server again on its data directory and port (crash recovery runs).
# The cluster trusts loopback connections and runs with fsync off: it is for tests only. Its
# commits are synchronous (a commit is in the WAL, in the OS's page cache, before the client
# hears of it), so a killed server keeps every commit it acknowledged; only an OS crash would
# lose them.
# Run as root, the server runs as the "postgres" user (PostgreSQL refuses to run as root).
set -euo pipefail

action=${1:?usage: $0 start|stop|kill|restart STATE_DIR}
state=${2:?usage: $0 start|stop|kill|restart STATE_DIR}
bin=/usr/lib/postgresql/15/bin
as_owner=()
[[ $(id -u) -eq 0 ]] && as_owner=(runuser -u postgres --)

stop() {
  [[ -f "$state/pgdata_path" ]] || return 0
  local data pid
  data=$(cat "$state/pgdata_path")
  if [[ -f "$data/postmaster.pid" ]]; then
    pid=$(head -1 "$data/postmaster.pid")
    kill -INT "$pid" 2>/dev/null || true  # "fast" shutdown
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$data" "$state/pgdata_path" "$state/conninfo" "$state/port"
}

launch() {  # launch DATA PORT
  "${as_owner[@]}" "$bin/pg_ctl" -D "$1" -l "$1/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$2 -c unix_socket_directories=$1 -c fsync=off \
        -c full_page_writes=off -c max_connections=300" start >/dev/null ||
    { cat "$1/server.log" >&2; exit 1; }
}

crash() {
  local data pid
  data=$(cat "$state/pgdata_path")
  pid=$(head -1 "$data/postmaster.pid")
  pkill -KILL -P "$pid" 2>/dev/null || true
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || pgrep -P "$pid" >/dev/null || break
    sleep 0.1
  done
}

case "$action" in
  start)
    [[ -x "$bin/postgres" ]] || { echo "test-postgres: $bin/postgres not found (apt-get install postgresql-15)" >&2; exit 1; }
    mkdir -p "$state"
    stop
    data=$(mktemp -d /tmp/herd-test-pg.XXXXXX)
    echo "$data" > "$state/pgdata_path"
    [[ ${#as_owner[@]} -gt 0 ]] && chown postgres "$data"
    chmod 700 "$data"
    "${as_owner[@]}" "$bin/initdb" -D "$data" -U herd --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$data.initdb.log" 2>&1 ||
      { cat "$data.initdb.log" >&2; exit 1; }
    rm -f "$data.initdb.log"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    echo "$port" > "$state/port"
    launch "$data" "$port"
    "$bin/psql" -q -h 127.0.0.1 -p "$port" -U herd -d postgres -c "CREATE DATABASE herd_test" >/dev/null
    echo "host=127.0.0.1 port=$port user=herd dbname=herd_test" > "$state/conninfo"
    ;;
  stop) stop ;;
  kill) crash ;;
  restart) launch "$(cat "$state/pgdata_path")" "$(cat "$state/port")" ;;
  *) echo "usage: $0 start|stop|kill|restart STATE_DIR" >&2; exit 2 ;;
esac

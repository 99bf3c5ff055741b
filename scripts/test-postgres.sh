#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL 15 server for the tests, on 127.0.0.1 only.
# Usage: scripts/test-postgres.sh start STATE_DIR | stop STATE_DIR
#   start: initdb into a fresh directory, start the server on a free loopback port, create the
#          database "herd_test", and write its libpq connection string to STATE_DIR/conninfo.
#   stop:  stops the server by the PID it recorded and removes its directory.
# The cluster trusts loopback connections and runs with fsync off: it is for tests only.
# Run as root, the server runs as the "postgres" user (PostgreSQL refuses to run as root).
set -euo pipefail

action=${1:?usage: $0 start|stop STATE_DIR}
state=${2:?usage: $0 start|stop STATE_DIR}
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
  rm -rf "$data" "$state/pgdata_path" "$state/conninfo"
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
    "${as_owner[@]}" "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$data -c fsync=off \
          -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null ||
      { cat "$data/server.log" >&2; exit 1; }
    "$bin/psql" -q -h 127.0.0.1 -p "$port" -U herd -d postgres -c "CREATE DATABASE herd_test" >/dev/null
    echo "host=127.0.0.1 port=$port user=herd dbname=herd_test" > "$state/conninfo"
    ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop STATE_DIR" >&2; exit 2 ;;
esac

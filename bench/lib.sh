# Shared by the bench/ scripts (sourced, not run): logging, installing the tools, the child
# processes (Herd, nginx) and their cleanup, free loopback ports, and CPU time of processes.
# The sourcing script sets PY and HERD_BIN first; it may redefine die() afterwards.

log() { printf '[bench] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Installs nginx, wrk and python3-boto3 with apt-get when missing (as root); sets NGINX.
require_tools() {
  NGINX=$(command -v nginx || true)
  [ -n "$NGINX" ] || [ ! -x /usr/sbin/nginx ] || NGINX=/usr/sbin/nginx
  if [ -z "$NGINX" ] || ! command -v wrk >/dev/null || ! "$PY" -c 'import boto3' 2>/dev/null; then
    [ "$(id -u)" = 0 ] || die "needs nginx, wrk and python3-boto3: sudo apt-get install -y nginx wrk python3-boto3"
    log "installing nginx, wrk, python3-boto3"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx wrk python3-boto3 >/dev/null
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
  fi
  [ -x "$HERD_BIN" ] || die "herd binary not found: $HERD_BIN (build it or set HERD_BIN)"
}

# The servers this script started; stopped on exit.
HERD_PID=
NGINX_PID=
stop_pid() {  # pid: TERM, wait up to 10 s, then KILL
  local pid=$1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  stop_pid "$HERD_PID"
  stop_pid "$NGINX_PID"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {  # port pid name
  for _ in $(seq 200); do
    kill -0 "$2" 2>/dev/null || die "$3 exited during startup"
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  die "$3 is not listening on $1"
}
# "DEVICE (FSTYPE, rotational=0|1)" of the disk holding DIR, for the machine notes.
disk_of() {
  local dev fs name
  dev=$(df --output=source "$1" | tail -1)
  fs=$(df --output=fstype "$1" | tail -1)
  name=$(basename "$(readlink -f "$dev" 2>/dev/null || echo "$dev")")
  echo "$dev ($fs, rotational=$(cat "/sys/block/$name/queue/rotational" 2>/dev/null || echo "?"))"
}

cpu_ticks() {  # utime+stime of the given pids and their children (nginx workers)
  local total=0 pid kids
  for pid in "$@"; do
    kids=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null || true)
    for p in $pid $kids; do
      [ -r "/proc/$p/stat" ] || continue
      total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
    done
  done
  echo "$total"
}

# Writes DIR/nginx.conf with the settings both benchmarks compare against (sendfile, long
# keep-alive, no access log, all temp paths under DIR), starts nginx on 127.0.0.1:PORT serving
# ROOT as a child of this script (NGINX_PID) and waits until it listens. EXTRA_HTTP adds
# http-level directives, LOCATIONS the server's location blocks.
start_nginx() {  # dir port root extra_http locations
  local dir=$1 port=$2 root=$3 extra=$4 locations=$5 user_line=""
  [ "$(id -u)" = 0 ] && user_line="user root root;"
  mkdir -p "$dir"
  cat >"$dir/nginx.conf" <<NGINX_CONF
$user_line
worker_processes auto;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 75s;
  keepalive_requests 100000000;
  access_log off;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
$extra
  server {
    listen 127.0.0.1:$port;
    root $root;
$locations
  }
}
NGINX_CONF
  "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/stdout.log" 2>&1 &
  NGINX_PID=$!
  wait_port "$port" "$NGINX_PID" nginx
}

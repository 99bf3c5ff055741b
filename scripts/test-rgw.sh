#!/usr/bin/env bash
# Starts or stops a throwaway Ceph RGW (Debian 12's Ceph 16.2) for the tests, as an S3 endpoint on 127.0.0.1 only.
# Usage: scripts/test-rgw.sh start STATE_DIR | stop STATE_DIR
#   start: makes a fresh single-node cluster in STATE_DIR/cluster (one mon, one OSD on memstore, no mgr, auth none),
#          starts radosgw (beast) on a free loopback port, creates an S3 user and the bucket "herd-blobs", and writes
#          STATE_DIR/endpoint (http://127.0.0.1:PORT), access_key, secret_key, bucket and pids (one PID a line).
#   stop:  stops the daemons by the PIDs it recorded (TERM, then KILL after 10 s) and removes what start made.
# Nothing in /etc/ceph or /var/lib/ceph is used: config, logs, sockets and data stay in STATE_DIR/cluster, so runs in
# different STATE_DIRs do not collide. Objects live in the OSD's memory (at most 2 GiB), pools have one replica, and
# nothing is authenticated between the daemons: it is for tests only. Start takes 3-4 s on a 2-core machine (4.5 s
# with two starting at once), stop under 1 s; the three daemons hold about 180 MB plus the objects stored.
# S3 clients must use path-style addressing (no rgw dns name is set); SigV4 with any region name is accepted.
set -euo pipefail

action=${1:?usage: $0 start|stop STATE_DIR}
state=${2:?usage: $0 start|stop STATE_DIR}
bucket=herd-blobs
[[ -d "$state" ]] && state=$(cd "$state" && pwd -P)  # the daemons are told absolute paths, and stop matches them

running() {  # running PID: the PID is one of this cluster's daemons and has not exited (zombies are not reaped at once)
  local stat cmdline
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]] || return 1
  cmdline=$(tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null) || return 1
  [[ "$cmdline" == *" $state/cluster/ceph.conf "* ]]
}

stop() {
  local pid _
  # Last started first: radosgw needs the OSD to shut down, and the OSD waits for the monitor to mark it down.
  [[ -f "$state/pids" ]] && for pid in $(tac "$state/pids"); do
    running "$pid" || continue
    kill -TERM "$pid"
    for _ in $(seq 1 100); do running "$pid" || break; sleep 0.1; done
    running "$pid" && kill -KILL "$pid"
  done
  rm -rf "$state/cluster" "$state/pids" "$state/endpoint" "$state/access_key" "$state/secret_key" "$state/bucket"
}

fail() {  # fail MESSAGE LOG...: says what failed with the logs' tails, stops what started, exits
  echo "test-rgw: $1" >&2
  shift
  local log
  for log in "$@"; do [[ -f "$log" ]] && { echo "--- tail of $log" >&2; tail -n 30 "$log" >&2; }; done
  stop
  exit 1
}

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

spawn() {  # spawn LOG CMD...: runs a daemon in the foreground of its own session and records its PID
  local log=$1
  shift
  setsid "$@" </dev/null >>"$log" 2>&1 &
  echo $! >> "$state/pids"
}

case "$action" in
  start)
    for b in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph; do
      command -v "$b" >/dev/null ||
        { echo "test-rgw: $b not found (apt-get install ceph-mon ceph-osd radosgw ceph-common)" >&2; exit 1; }
    done
    /usr/bin/python3 -c 'import boto3' 2>/dev/null ||
      { echo "test-rgw: /usr/bin/python3 has no boto3 (apt-get install python3-boto3)" >&2; exit 1; }
    mkdir -p "$state"
    state=$(cd "$state" && pwd -P)
    stop
    c="$state/cluster"
    mkdir -p "$c/mon/a" "$c/osd/0" "$c/run" "$c/log" "$c/crash" "$c/rgw"
    : > "$state/pids"
    fsid=$(cat /proc/sys/kernel/random/uuid)
    osd_uuid=$(cat /proc/sys/kernel/random/uuid)
    mon_port=$(free_port)
    rgw_port=$(free_port)
    # Unix socket paths are limited to 107 bytes: a deep STATE_DIR goes without admin sockets.
    # shellcheck disable=SC2016  # ceph expands these
    asok='$cluster-$name.asok'
    if (( ${#c} + 40 > 107 )); then asok_line="admin socket ="; else asok_line="admin socket = $c/run/$asok"; fi
    cat > "$c/ceph.conf" <<EOF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$mon_port]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
ms bind msgr1 = false
auth cluster required = none
auth service required = none
auth client required = none
keyring = $c/keyring
run dir = $c/run
$asok_line
pid file =
crash dir = $c/crash
log file = $c/log/\$name.log
mon cluster log file = $c/log/cluster.log
log to stderr = false
err to stderr = false
debug ms = 0/0
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
# Each pool radosgw creates is a new OSD map: commit them at once rather than each after 1 s.
paxos propose interval = 0.1
[mon]
mon data = $c/mon/\$id
mon initial members = a
[osd]
osd data = $c/osd/\$id
osd objectstore = memstore
memstore device bytes = 2147483648
osd op num shards = 2
osd op num threads per shard = 1
[client]
# radosgw asks for a "secure" monitor connection by default, which auth none cannot give.
ms mon client mode = crc
rgw data = $c/rgw
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw thread pool size = 64
rgw gc obj min wait = 60
rgw gc processor period = 60
EOF
    conf=(-c "$c/ceph.conf")
    : > "$c/keyring"

    monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$c/monmap" >"$c/log/mkfs.log" 2>&1 ||
      fail "monmaptool failed" "$c/log/mkfs.log"
    ceph-mon "${conf[@]}" -i a --mkfs --monmap "$c/monmap" >>"$c/log/mkfs.log" 2>&1 ||
      fail "ceph-mon --mkfs failed" "$c/log/mkfs.log" "$c/log/mon.a.log"
    spawn "$c/log/mon.a.out" ceph-mon "${conf[@]}" -i a -f

    # Registering the OSD also waits for the mon to have formed its quorum.
    osd_id=$(timeout 60 ceph "${conf[@]}" --connect-timeout 60 osd new "$osd_uuid" 2>>"$c/log/mkfs.log") ||
      fail "the monitor did not answer" "$c/log/mkfs.log" "$c/log/mon.a.out" "$c/log/mon.a.log"
    [[ "$osd_id" == 0 ]] || fail "unexpected OSD id '$osd_id'" "$c/log/mkfs.log"
    ceph-osd "${conf[@]}" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$c/log/mkfs.log" 2>&1 ||
      fail "ceph-osd --mkfs failed" "$c/log/mkfs.log" "$c/log/osd.0.log"
    spawn "$c/log/osd.0.out" ceph-osd "${conf[@]}" -i 0 -f

    # radosgw-admin creates the RGW pools (and so waits for the OSD to be up and its PGs active).
    access_key=HERDTEST$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
    secret_key=$(head -c 45 /dev/urandom | base64 | tr -d '/+=\n' | head -c 40)
    timeout 120 radosgw-admin "${conf[@]}" -n client.admin user create --uid=herd --display-name=herd \
      --access-key="$access_key" --secret-key="$secret_key" >"$c/log/user-create.log" 2>&1 ||
      fail "radosgw-admin user create failed" "$c/log/user-create.log" "$c/log/osd.0.out" "$c/log/osd.0.log" \
        "$c/log/client.admin.log"
    spawn "$c/log/client.rgw.out" radosgw "${conf[@]}" -n client.rgw -f
    rgw_pid=$(tail -1 "$state/pids")

    endpoint="http://127.0.0.1:$rgw_port"
    /usr/bin/python3 - "$endpoint" "$access_key" "$secret_key" "$bucket" "$rgw_pid" >"$c/log/bucket.log" 2>&1 <<'EOF' ||
import os, sys, time, urllib.request
import boto3, botocore.config
endpoint, access, secret, bucket, pid = sys.argv[1:6]
deadline = time.monotonic() + 120
while True:
    try:
        urllib.request.urlopen(endpoint + "/", timeout=2).read()
        break
    except urllib.error.HTTPError:
        break  # it answers
    except Exception as e:
        if time.monotonic() > deadline:
            sys.exit(f"radosgw did not answer on {endpoint} within 120 s: {e}")
        try:
            alive = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            alive = False
        if not alive:
            sys.exit("radosgw exited")
        time.sleep(0.2)
s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=access, aws_secret_access_key=secret,
                  region_name="us-east-1", config=botocore.config.Config(s3={"addressing_style": "path"}))
s3.create_bucket(Bucket=bucket)
EOF
      fail "radosgw did not come up" "$c/log/bucket.log" "$c/log/client.rgw.out" "$c/log/client.rgw.log"
    echo "$endpoint" > "$state/endpoint"
    echo "$access_key" > "$state/access_key"
    echo "$secret_key" > "$state/secret_key"
    echo "$bucket" > "$state/bucket"
    ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop STATE_DIR" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Installs Herd's build and test dependencies from Debian 12 packages, only if something is missing.
# Usage: scripts/install-deps.sh [--test]   (--test adds the S3 clients the integration tests drive)
set -euo pipefail

packages=(build-essential cmake pkg-config libboost1.81-dev libssl-dev libsqlite3-dev libpugixml-dev
          nlohmann-json3-dev libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev zlib1g-dev libpq-dev libcurl4-openssl-dev)
bare=()  # installed without their Recommends
if [[ "${1:-}" == "--test" ]]; then
  packages+=(googletest libgtest-dev python3 python3-boto3 awscli s3cmd rclone ruby ruby-aws-sdk-s3 clang libclang-rt-14-dev
             postgresql-15)
  # Ceph RGW for scripts/test-rgw.sh; Ceph's Recommends would add ceph-mds, ceph-mgr and chrony.
  bare+=(ceph-mon ceph-osd radosgw ceph-common)
fi

missing=() missing_bare=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
for p in "${bare[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing_bare+=("$p")
done
if (( ${#missing[@]} + ${#missing_bare[@]} )); then
  echo "herd: installing ${missing[*]} ${missing_bare[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  if (( ${#missing[@]} )); then
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  if (( ${#missing_bare[@]} )); then
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing_bare[@]}" \
      >/dev/null
  fi
fi

# The npm AWS SDK (as Misskey uses it), pinned by tests/integration/js/package-lock.json.
# Needs Node.js >= 20 (the machine's own; Debian 12's nodejs package is too old).
if [[ "${1:-}" == "--test" ]]; then
  js_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/integration/js"
  node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if (( node_major < 20 )); then
    echo "herd: the integration tests need Node.js >= 20 with npm (found: ${node_major})" >&2
    exit 1
  fi
  if ! cmp -s "$js_dir/package-lock.json" "$js_dir/node_modules/.herd-package-lock.json"; then
    (cd "$js_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null &&
       cp package-lock.json node_modules/.herd-package-lock.json)
  fi
fi

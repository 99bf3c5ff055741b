#!/usr/bin/env bash
# Installs Herd's build and test dependencies from Debian 12 packages, only if something is missing.
# Usage: scripts/install-deps.sh [--test]   (--test adds the S3 clients the integration tests drive)
set -euo pipefail

packages=(build-essential cmake pkg-config libboost1.81-dev libssl-dev libsqlite3-dev libpugixml-dev
          nlohmann-json3-dev libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev zlib1g-dev)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(googletest libgtest-dev python3 python3-boto3 awscli s3cmd rclone)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} )); then
  echo "herd: installing ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

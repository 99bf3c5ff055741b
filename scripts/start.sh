#!/usr/bin/env bash
# Quick start: installs dependencies, builds, creates a first tenant (once) and prints the
# settings for Mastodon's .env.production, then runs Herd on its embedded defaults
# (SQLite metadata + blobs under ./herd-data, listening on 127.0.0.1:9000).
# Usage: scripts/start.sh [extra `herd serve` flags, e.g. --listen 0.0.0.0:9000]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh >/dev/null

data_dir=${HERD_DATA:-herd-data}
tenant=${HERD_TENANT:-default}
listen=127.0.0.1:9000
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  [[ "${args[$i]}" == "--listen" && $((i + 1)) -lt ${#args[@]} ]] && listen=${args[$((i + 1))]}
done

if ! build/herd tenant list --data "$data_dir" | cut -f1 | grep -qx "$tenant"; then
  creds=$(build/herd tenant create "$tenant" --data "$data_dir" --json)
  access=$(sed -E 's/.*"access_key":"([^"]+)".*/\1/' <<<"$creds")
  secret=$(sed -E 's/.*"secret_key":"([^"]+)".*/\1/' <<<"$creds")
  cat <<MSG

Herd created tenant '$tenant'. Its secret is shown only this once.
Put these in Mastodon's .env.production (use the host name Mastodon reaches Herd at):

  S3_ENABLED=true
  S3_ENDPOINT=http://$listen
  S3_BUCKET=$tenant-media
  AWS_ACCESS_KEY_ID=$access
  AWS_SECRET_ACCESS_KEY=$secret
  S3_REGION=us-east-1
  S3_PROTOCOL=http
  S3_HOSTNAME=$listen

More tenants: build/herd tenant create NAME --data $data_dir

MSG
fi
exec build/herd serve --data "$data_dir" "$@"

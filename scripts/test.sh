#!/usr/bin/env bash
# Installs everything, builds, and runs the whole test suite (unit + integration) with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
scripts/build.sh
cd build
ctest --output-on-failure -j 2 --timeout 900

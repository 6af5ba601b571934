#!/usr/bin/env bash
# Configures and builds Tether into build/ (Ninja, ccache when present):
# every target, or only those named (build.sh tether_bundle: the binary and
# the bundled plugins, no tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build build ${1:+--target "$@"}

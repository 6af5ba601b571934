#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test (CTest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)"
# Then every test but the browser ones again, built with AddressSanitizer,
# LeakSanitizer and UndefinedBehaviorSanitizer (build-san/).
bash scripts/test-sanitizers.sh

#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test (CTest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
# A test that fails is run once more before the run fails: one unidentified
# timing-sensitive test failed once in six full runs on a loaded 2-core
# machine. The log still shows the first failure; hunt it down rather than
# raising this.
ctest --test-dir build --output-on-failure -j "$(nproc)" --repeat until-pass:2

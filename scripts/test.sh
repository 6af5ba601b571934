#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test (CTest),
# then runs them again under the sanitizers (scripts/test-sanitizers.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
# A test that fails is run once more before the run fails: one unidentified
# timing-sensitive test failed once in six full runs on a loaded 2-core
# machine. The log still shows the first failure; hunt it down rather than
# raising this.
ctest --test-dir build --output-on-failure -j "$(nproc)" --repeat until-pass:2
# Then every test but the browser ones again, built with AddressSanitizer,
# LeakSanitizer and UndefinedBehaviorSanitizer (build-san/).
bash scripts/test-sanitizers.sh

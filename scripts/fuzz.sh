#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang++ (ASan + UBSan)
# into build-fuzz/ and runs each for a bounded time.
#   fuzz.sh [SECONDS_PER_TARGET [TARGET...]]     default: 60 s, every target
# Seeds: tests/fuzz/corpus/<target>/ (read only). What a run learns goes to
# build-fuzz/corpus/<target>/ and is reused by the next run. A crash, leak,
# sanitizer report or timeout writes its input to
# tests/fuzz/regressions/<target>/ (commit it with the fix: the normal suite
# replays that folder as "fuzz_replay:<target>"). FUZZ_JOBS=N runs N targets
# at once (default 1). Exits 1 when any target found something.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
bash scripts/install-deps.sh --fuzz
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_COMPILER=clang++-14 -DTETHER_FUZZ=ON >/dev/null
if [ $# -gt 0 ]; then
  targets=("$@")
else
  read -r -a targets <build-fuzz/fuzz_targets.txt  # written by tests/fuzz/CMakeLists.txt
fi
cmake --build build-fuzz --target "${targets[@]/#/fuzz_}"

export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$PWD/tests/sanitizers/ubsan.supp"
export ASAN_OPTIONS="detect_leaks=1"

dict_for() {
  case "$1" in
    config_loader|github_webhook|json_depth) echo tests/fuzz/dict/json.dict ;;
    sql_script|migration_classifier) echo tests/fuzz/dict/sql.dict ;;
    *) echo tests/fuzz/dict/url.dict ;;
  esac
}

run_one() {
  local t="$1" log="build-fuzz/fuzz-$1.log"
  mkdir -p "build-fuzz/corpus/$t" "tests/fuzz/regressions/$t"
  if "build-fuzz/bin/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -dict="$(dict_for "$t")" \
       -artifact_prefix="tests/fuzz/regressions/$t/" \
       "build-fuzz/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    echo "fuzz: $t: nothing found in ${seconds}s ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') runs)"
  else
    echo "fuzz: $t: FOUND SOMETHING, see $log and tests/fuzz/regressions/$t/" >&2
    return 1
  fi
}

failed=0
pids=()
for t in "${targets[@]}"; do
  run_one "$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge "${FUZZ_JOBS:-1}" ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
exit $failed

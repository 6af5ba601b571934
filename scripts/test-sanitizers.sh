#!/usr/bin/env bash
# Builds everything (engine, plugins, test fixtures, tests) with
# AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer into
# build-san/ and runs every test but the browser ones ("web: ...",
# "web@postgres: ...") with CTest. Any sanitizer report fails the run: the
# test whose process reported fails (exit code 86), and every report, also
# one from a child process whose exit code no test looks at (tether serve,
# a plugin, a fixture), is written to build-san/sanitizer-reports/ and
# fails the run at the end.
#   test-sanitizers.sh [CTEST ARGS...]    e.g. -R github_webhook_test
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --build
# -O1: sanitized code at -O2 takes about twice as long to compile on 2 cores;
# -g1 (line tables: reports still name function, file and line) a third less.
cmake -S . -B build-san -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
      -DTETHER_SANITIZE=address,undefined >/dev/null
cmake --build build-san

reports="$PWD/build-san/sanitizer-reports"
rm -rf "$reports"
mkdir -p "$reports"
# The options reach every process the tests start (tether, plugins loaded by
# it, fixtures); programs that are not instrumented (git, sqlite3, psql,
# python3) ignore them.
# intercept_tls_get_addr=0: the LeakSanitizer of Debian 12's GCC guesses a
# dynamic TLS block's size from a glibc 2.19 header whenever the block starts
# 16 bytes into a page, and its tracer then dies reading a made-up range
# ("Tracer caught signal 11", google/sanitizers#1322). The cost: a heap block
# reachable only from a loaded library's thread_local would be reported as a
# leak (none is today).
export ASAN_OPTIONS="intercept_tls_get_addr=0:halt_on_error=1:detect_leaks=1:exitcode=86:abort_on_error=0:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:log_path=$reports/asan"
export LSAN_OPTIONS="exitcode=86:suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=86:log_path=$reports/ubsan"

status=0
ctest --test-dir build-san --output-on-failure -j "$(nproc)" -E '^web(@postgres)?: ' "$@" || status=$?

shopt -s nullglob
found=("$reports"/*)
if [ ${#found[@]} -gt 0 ]; then
  echo "test-sanitizers: ${#found[@]} sanitizer report(s):" >&2
  for f in "${found[@]}"; do echo "==== $f" >&2; cat "$f" >&2; done
  status=1
fi
exit $status

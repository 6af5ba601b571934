#!/usr/bin/env bash
# Installs the grammar packages pinned by SRC/package-lock.json into
# DIR/node_modules with `npm ci --ignore-scripts` (nothing is built or run:
# the analyzer compiles the generated C sources itself), then touches the
# C sources named after DIR so that the build sees them as new. A second run
# with the same lock file does nothing and needs no network.
set -euo pipefail
src=$1
dir=$2
shift 2
mkdir -p "$dir"
stamp="$dir/node_modules/.tether-package-lock.json"
if [ -f "$stamp" ] && cmp -s "$src/package-lock.json" "$stamp"; then
  touch "$stamp" "$@"
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "npm is missing: run scripts/install-deps.sh --build (Debian packages nodejs, npm)" >&2
  exit 1
fi
cp "$src/package.json" "$src/package-lock.json" "$src/.npmrc" "$dir/"
cd "$dir"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
for f in "$@"; do
  [ -f "$f" ] || { echo "npm ci did not bring $f: is package-lock.json up to date?" >&2; exit 1; }
done
cp package-lock.json "$stamp"
touch "$stamp" "$@"

#!/usr/bin/env bash
# Installs a test's npm packages (pinned by DIR/package-lock.json) into
# DIR/node_modules with `npm ci`, once per lock file: a later run with the
# same lock file does nothing (and needs no network). WHAT names them in the
# messages. Usage: npm_ci.sh DIR WHAT
# (The web test's playwright-core never downloads a browser: it drives
# Debian's chromium. The MCP tests' packages are the official SDK and the
# conformance suite.)
set -euo pipefail
dir=$1
what=${2:-the tests}
cd "$dir"
stamp=node_modules/.tether-package-lock.json
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then
  echo "npm packages for $what are installed"
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "npm is missing: run scripts/install-deps.sh (Debian packages nodejs, npm)" >&2
  exit 1
fi
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json "$stamp"

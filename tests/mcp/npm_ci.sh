#!/usr/bin/env bash
# Installs the MCP tests' npm packages (the official TypeScript SDK and the
# conformance suite, pinned by package-lock.json) into DIR/node_modules with
# `npm ci`, once per lock file: a later run with the same lock file does
# nothing (and needs no network).
set -euo pipefail
dir=$1
cd "$dir"
stamp=node_modules/.tether-package-lock.json
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then
  echo "npm packages for the MCP tests are installed"
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "npm is missing: run scripts/install-deps.sh (Debian packages nodejs, npm)" >&2
  exit 1
fi
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json "$stamp"

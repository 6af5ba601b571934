#!/usr/bin/env bash
# Installs what is missing, builds Tether, and syncs a real git repository
# (by default this checkout) into a fresh SQLite database under
# build/quickstart/, printing what it did. Usage: quickstart.sh [REPO]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "${1:-$root}" && pwd)"
cd "$root"
bash scripts/build.sh tether_bundle  # the binary and its plugins; the tests build with test.sh

work="$root/build/quickstart"
rm -rf "$work"
tether=("$root/build/bin/tether" --config "$work/tether.json")
echo
echo "== tether init"
"${tether[@]}" init
echo
echo "== tether project add quickstart --repo $repo"
"${tether[@]}" project add quickstart --repo "$repo"
echo
echo "== tether sync quickstart"
"${tether[@]}" sync quickstart
echo
echo "== tether sync quickstart   (again: nothing new)"
"${tether[@]}" sync quickstart
echo
echo "== tether project show quickstart"
"${tether[@]}" project show quickstart
echo
echo "== tether symbols quickstart main --limit 10   (symbols found by the code analyzer)"
"${tether[@]}" symbols quickstart main --limit 10 || true
echo
echo "== tether search quickstart 'parse the config file' --mode semantic --limit 5   (by meaning: the embeddings analyzer's built-in embedder)"
"${tether[@]}" search quickstart "parse the config file" --mode semantic --limit 5 || true
echo
echo "== tether docs export quickstart $work/docs   (the documentation the docs analyzer keeps)"
"${tether[@]}" docs export quickstart "$work/docs" || true
echo
echo "The documentation starts at $work/docs/_index.md; the database is $work/tether.db; try: sqlite3 $work/tether.db 'SELECT path, size, language FROM documents LIMIT 10'"

#!/usr/bin/env bash
# A plugin author's path: install the SDK, build samples/plugin-template out
# of tree with find_package(TetherSDK), load it and sync with it.
# Usage: plugin_template_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$1"; build="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
# The install also carries the manual page and the shell completions.
for f in share/man/man1/tether.1 share/bash-completion/completions/tether share/zsh/site-functions/_tether; do
  test -s "$work/prefix/$f" || { echo "cmake --install did not install $f" >&2; exit 1; }
done
cmake -S "$src/samples/plugin-template" -B "$work/plugin" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/plugin" >/dev/null
plugin="$work/plugin/libhello-provider.so"
test -f "$plugin"

cat > "$work/tether.json" <<JSON
{"database": "sqlite:tether.db",
 "plugins": [{"name": "hello-provider", "kind": "provider", "path": "$plugin"},
             {"name": "sql-storage", "kind": "storage"}]}
JSON
tether=("$work/prefix/bin/tether" --config "$work/tether.json")
"${tether[@]}" migrate apply >/dev/null
"${tether[@]}" plugins check | grep -q "hello-provider .*loaded"
"${tether[@]}" project add hello --provider hello-provider --repo world >/dev/null
"${tether[@]}" sync hello >/dev/null
content="$(sqlite3 "$work/tether.db" "SELECT content FROM documents WHERE path = 'hello.txt'")"
if [ "$content" != "hello from world" ]; then
  echo "expected the plugin's file in the database, got: '$content'" >&2
  exit 1
fi
echo "out-of-tree plugin built against the installed SDK, loaded and synced"

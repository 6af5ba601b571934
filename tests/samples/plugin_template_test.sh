#!/usr/bin/env bash
# A plugin author's path: install the SDK, build samples/plugin-template (a
# provider), samples/analyzer-template and samples/storage-template out of
# tree with find_package(TetherSDK 3.x), run the conformance kit from each
# one's CTest (and see it name the contract a broken copy violates), load
# them and sync with them; write each anew with `tether plugins new`; an SDK
# of another major is refused by find_package.
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
plugin="$work/plugin/libfolder-snapshot.so"
test -f "$plugin"

# The conformance kit from the template's own CTest, with the installed tether.
if ! ctest --test-dir "$work/plugin" --output-on-failure > "$work/kit.log" 2>&1; then
  echo "the template's conformance test failed:" >&2; cat "$work/kit.log" >&2; exit 1
fi
grep -q "conformance: folder-snapshot" "$work/kit.log"

# A copy of a template with one contract broken on purpose by a sed
# expression: its CTest fails, and the report names exactly the expected
# contracts (sorted). The report is left in $work/NAME.log.
broken_copy() {  # TEMPLATE-FOLDER FILE NAME SED-EXPRESSION EXPECTED-FAILED...
  local template="$1" file="$2" name="$3" expression="$4"; shift 4
  mkdir -p "$work/$name-src"
  cp "$src/samples/$template/"* "$work/$name-src/"
  sed -i "$expression" "$work/$name-src/$file"
  if cmp -s "$src/samples/$template/$file" "$work/$name-src/$file"; then
    echo "the flaw $name was not put into the copy" >&2; exit 1
  fi
  cmake -S "$work/$name-src" -B "$work/$name" -G Ninja \
    -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$work/$name" >/dev/null
  if ctest --test-dir "$work/$name" --output-on-failure > "$work/$name.log" 2>&1; then
    echo "the conformance test passed the copy with the flaw $name" >&2; cat "$work/$name.log" >&2; exit 1
  fi
  local failed
  failed="$(grep -Eo "FAILED +[a-z-]+" "$work/$name.log" | awk '{print $2}' | sort | paste -sd' ')"
  if [ "$failed" != "$*" ]; then
    echo "the copy with the flaw $name failed [$failed], expected [$*]:" >&2; cat "$work/$name.log" >&2; exit 1
  fi
}

# The provider's diff ignores its sink's error: sink-error, with the call.
broken_copy plugin-template folder_snapshot_provider.cc sink-error-ignored \
  's|TETHER_RETURN_IF_ERROR(sink->OnChange(change));|(void)sink->OnChange(change);|' sink-error
grep -E "FAILED +sink-error .*sink's error stops the diff" "$work/sink-error-ignored.log" >/dev/null || {
  echo "the report does not say what sink-error is:" >&2; cat "$work/sink-error-ignored.log" >&2; exit 1; }
grep -q "into a sink that refused the second change returned OK" "$work/sink-error-ignored.log" || {
  echo "the report does not name the call that broke it:" >&2; cat "$work/sink-error-ignored.log" >&2; exit 1; }

# Loaded from a config and synced like any provider.
mkdir -p "$work/folder/docs"
printf 'hello from a folder\n' > "$work/folder/docs/hello.txt"
cat > "$work/tether.json" <<JSON
{"database": "sqlite:tether.db",
 "plugins": [{"name": "folder-snapshot", "kind": "provider", "path": "$plugin"},
             {"name": "sql-storage", "kind": "storage"}]}
JSON
tether=("$work/prefix/bin/tether" --config "$work/tether.json")
"${tether[@]}" migrate apply >/dev/null
"${tether[@]}" plugins check | grep -q "folder-snapshot .*loaded"
"${tether[@]}" project add notes --provider folder-snapshot --repo "$work/folder" >/dev/null
"${tether[@]}" sync notes >/dev/null
content="$(sqlite3 "$work/tether.db" "SELECT content FROM documents WHERE path = 'docs/hello.txt'")"
if [ "$content" != "hello from a folder" ]; then
  echo "expected the plugin's file in the database, got: '$content'" >&2
  exit 1
fi

# The analyzer template: built the same way, it analyses what the provider
# synced (a TODO in hello.txt would be found; the greeting has none).
cmake -S "$src/samples/analyzer-template" -B "$work/analyzer" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/analyzer" >/dev/null
analyzer="$work/analyzer/libtodo-analyzer.so"
test -f "$analyzer"
if ! ctest --test-dir "$work/analyzer" --output-on-failure > "$work/analyzer-kit.log" 2>&1; then
  echo "the analyzer template's conformance test failed:" >&2; cat "$work/analyzer-kit.log" >&2; exit 1
fi
grep -q "conformance: todo-analyzer" "$work/analyzer-kit.log"
mkdir -p "$work/repo"
git -C "$work/repo" init -q -b main
printf 'int main() {\n  // TODO: say hello\n  return 0;  // FIXME exit code\n}\n' > "$work/repo/main.c"
git -C "$work/repo" add main.c
git -C "$work/repo" -c user.name=t -c user.email=t@example.com commit -q -m first
cat > "$work/tether.json" <<JSON
{"database": "sqlite:tether.db",
 "plugins": [{"name": "local-git", "kind": "provider"}, {"name": "sql-storage", "kind": "storage"},
             {"name": "todo-analyzer", "kind": "analyzer", "path": "$analyzer"}]}
JSON
"${tether[@]}" plugins check | grep -q "todo-analyzer .*loaded"
"${tether[@]}" project add todos --provider local-git --repo "$work/repo" >/dev/null
"${tether[@]}" sync todos >/dev/null
found="$("${tether[@]}" symbols todos TODO --analyzer todo-analyzer)"
echo "$found" | grep -q "main.c" || { echo "tether symbols did not find the analyzer's TODO: $found" >&2; exit 1; }
found="$("${tether[@]}" symbols todos FIXME --analyzer todo-analyzer)"
echo "$found" | grep -q "main.c:3" || { echo "tether symbols did not find the FIXME on line 3: $found" >&2; exit 1; }

# The storage template: its kit passes from its CTest; a copy that does not
# check the cursor again under its lock fails exactly "conflict"; loaded
# from a config, it holds a sync, its text search and its analysis.
cmake -S "$src/samples/storage-template" -B "$work/storage" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/storage" >/dev/null
storage="$work/storage/libsqlite-file-storage.so"
if ! ctest --test-dir "$work/storage" -V > "$work/storage-kit.log" 2>&1; then
  echo "the storage template's conformance test failed:" >&2; cat "$work/storage-kit.log" >&2; exit 1
fi
grep -Eq "[0-9]+ passed, 0 failed, 0 skipped" "$work/storage-kit.log" || {
  echo "the storage template's kit did not run every contract:" >&2; cat "$work/storage-kit.log" >&2; exit 1; }
# Two copies, each with a flaw: one that does not check the cursor again
# under its lock fails exactly "conflict"; one that commits as it goes
# fails exactly "rollback" and "killed-writer".
broken_copy storage-template sqlite_file_storage.cc no-cursor-recheck \
  's|    if (now != expected_) {|    if (false \&\& now != expected_) {|' conflict
broken_copy storage-template sqlite_file_storage.cc commits-as-it-goes \
  's|      return put.Bind(10, document->language).Bind(11, commit).Bind(12, NowUtc()).Run();|      TETHER_RETURN_IF_ERROR(put.Bind(10, document->language).Bind(11, commit).Bind(12, NowUtc()).Run());\n      return db_->Exec("COMMIT; BEGIN IMMEDIATE");|' \
  killed-writer rollback
cat > "$work/tether.json" <<JSON
{"database": "sqlite:tether.db",
 "plugins": [{"name": "local-git", "kind": "provider"},
             {"name": "sqlite-file-storage", "kind": "storage", "path": "$storage",
              "settings": {"path": "$work/store.sqlite"}},
             {"name": "todo-analyzer", "kind": "analyzer", "path": "$analyzer"}]}
JSON
"${tether[@]}" project add kept --provider local-git --repo "$work/repo" --storage sqlite-file-storage >/dev/null
"${tether[@]}" sync kept >/dev/null
found="$("${tether[@]}" search kept "say hello")"
echo "$found" | grep -q "main.c:2" || { echo "tether search through the storage template found: $found" >&2; exit 1; }
found="$("${tether[@]}" symbols kept FIXME --analyzer todo-analyzer)"
echo "$found" | grep -q "main.c:3" || { echo "tether symbols through the storage template found: $found" >&2; exit 1; }
test "$(sqlite3 "$work/store.sqlite" "SELECT commit_id FROM cursors")" = "$(git -C "$work/repo" rev-parse HEAD)"

# `tether plugins new` writes each template under the author's name: it
# builds, its kit passes from its CTest, and it loads by that name.
"$work/prefix/bin/tether" plugins new --kind provider acme-files "$work/new-provider" > "$work/new.log"
"$work/prefix/bin/tether" plugins new --kind analyzer acme.lint "$work/new-analyzer" >> "$work/new.log"
"$work/prefix/bin/tether" plugins new --kind storage acme-store "$work/new-storage" >> "$work/new.log"
grep -q "ctest --test-dir $work/new-provider/build" "$work/new.log"
for kind in provider analyzer storage; do
  cmake -S "$work/new-$kind" -B "$work/new-$kind/build" -G Ninja \
    -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$work/new-$kind/build" >/dev/null
  if ! ctest --test-dir "$work/new-$kind/build" --output-on-failure > "$work/new-$kind.log" 2>&1; then
    echo "the new $kind's conformance test failed:" >&2; cat "$work/new-$kind.log" >&2; exit 1
  fi
done
grep -q "conformance: acme-files" "$work/new-provider.log"
grep -q "conformance: acme.lint" "$work/new-analyzer.log"
grep -q "conformance: acme-store" "$work/new-storage.log"
cat > "$work/new.json" <<JSON
{"database": "sqlite:new.db",
 "plugins": [{"name": "acme-files", "kind": "provider", "path": "$work/new-provider/build/libacme-files.so"},
             {"name": "acme.lint", "kind": "analyzer", "path": "$work/new-analyzer/build/libacme.lint.so"},
             {"name": "acme-store", "kind": "storage", "path": "$work/new-storage/build/libacme-store.so",
              "settings": {"path": "$work/acme-store.sqlite"}}]}
JSON
"$work/prefix/bin/tether" --config "$work/new.json" plugins check > "$work/new-check.log"
grep -q "acme-files .*loaded" "$work/new-check.log"
grep -q "acme.lint .*loaded" "$work/new-check.log"
grep -q "acme-store .*loaded" "$work/new-check.log"
if "$work/prefix/bin/tether" plugins new --kind exporter x "$work/new-exporter" 2> "$work/new-err.log"; then
  echo "plugins new --kind exporter was accepted" >&2; exit 1
fi
grep -q "there are templates for provider, analyzer, storage" "$work/new-err.log"
if "$work/prefix/bin/tether" plugins new --kind provider other "$work/new-provider" 2> "$work/new-err.log"; then
  echo "plugins new wrote into a folder that is not empty" >&2; exit 1
fi
grep -q "is not an empty folder" "$work/new-err.log"

# Another major than the installed SDK's is refused before anything builds.
mkdir -p "$work/newer"
cat > "$work/newer/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(newer LANGUAGES CXX)
find_package(TetherSDK 99.0 REQUIRED)
CMAKE
if cmake -S "$work/newer" -B "$work/newer/build" -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/newer.log" 2>&1; then
  echo "find_package(TetherSDK 99.0) was accepted" >&2
  exit 1
fi
grep -q "TetherSDK" "$work/newer.log"
echo "out-of-tree provider and analyzer built against the installed SDK, the kit run from CTest, loaded and synced"

#!/usr/bin/env bash
# Installs what building and testing Tether needs, from Debian 12's packages
# (nodejs and npm: the build installs the code analyzer's tree-sitter
# runtime and grammars with `npm ci`, and the web page's browser test its one
# npm package; postgresql: the tests start a throwaway cluster of their own;
# openssh-client: the git-remote provider runs ssh for SSH remotes; openssl:
# the fake GitHub checks App JWTs with it, and git-remote's HTTPS test makes
# its certificate with it; chromium: the browser
# test; python3-yaml: the samples' test reads the Kubernetes manifests).
# Does nothing when everything is already there; needs root (or sudo) otherwise.
#   install-deps.sh           everything, for building and running every test
#   install-deps.sh --build   only what building and running Tether needs
#   install-deps.sh --fuzz    what building Tether needs, plus clang and
#                             libFuzzer (scripts/fuzz.sh)
set -euo pipefail

packages=(
  g++ cmake ninja-build ccache pkg-config git openssh-client python3
  libboost-dev libgit2-dev libsoci-dev rapidjson-dev catch2 libcli11-dev
  libssl-dev libcurl4-openssl-dev libsqlite3-dev libpq-dev sqlite3 libcmark-gfm-dev libcmark-gfm-extensions-dev
)
build_only=0
[ "${1:-}" = "--build" ] && build_only=1
[ "${1:-}" = "--fuzz" ] && { build_only=1; packages+=(clang-14 libclang-rt-14-dev); }
[ $build_only -eq 0 ] && packages+=(postgresql openssl chromium python3-yaml)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js from elsewhere (NodeSource, nvm) is fine when it brings npm;
# Debian's npm would conflict with NodeSource's nodejs. Building needs it too
# (plugins/code/grammars), so every mode checks.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  for p in nodejs npm; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
[ ${#missing[@]} -eq 0 ] && exit 0

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root to install: ${missing[*]}" >&2; exit 1; }
  as_root=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

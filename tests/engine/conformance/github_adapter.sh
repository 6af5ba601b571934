#!/bin/sh
# The conformance kit's fixture adapter for the github provider against the
# fake GitHub (tests/fake_github): the source is a bare repository in the
# folder the fake serves (KIT_FAKE_GITHUB_REPOS), published as
# conformance/<name>; each state is made by the git adapter on it.
set -eu
verb="$1"
work="$2"
if [ "$verb" = init ]; then
  name="kit-$(basename "$(dirname "$work")" | tr -c 'A-Za-z0-9\n' '-')"
  bare="$KIT_FAKE_GITHUB_REPOS/conformance/$name.git"
  mkdir -p "$KIT_FAKE_GITHUB_REPOS/conformance"
  git init --quiet --bare --initial-branch=main "$bare"
  ln -s "$bare" "$work/repo.git"
  echo "url=conformance/$name"
  exit 0
fi
exec "$KIT_GIT_ADAPTER" "$@"

#!/bin/sh
# The conformance kit's fixture adapter for a provider of git repositories
# (see engine/conformance/fixture_adapter.h for the protocol). It keeps a
# bare repository in WORK and makes each state a commit with git's own
# plumbing: the tree the kit wrote is added through an index of its own,
# so every name (tabs, bytes that are not UTF-8) and mode is taken as it is.
#
# The URL it prints is the repository's path; a provider that wants another
# form gets it from TETHER_CONFORMANCE_URL_PREFIX ("file://" for example).
set -eu
verb="$1"
work="$2"
repo="$work/repo.git"
git_() {
  git --git-dir="$repo" -c user.name="conformance kit" -c user.email=kit@conformance.invalid \
      -c core.symlinks=true "$@"
}

case "$verb" in
  init)
    git init --quiet --bare --initial-branch=main "$repo"
    echo "url=${TETHER_CONFORMANCE_URL_PREFIX:-}$repo"
    ;;
  commit|force)
    branch="$3"
    tree_dir="$4"
    GIT_INDEX_FILE="$work/index"
    export GIT_INDEX_FILE
    rm -f "$GIT_INDEX_FILE"
    git_ --work-tree="$tree_dir" add --all --force .
    tree="$(git_ write-tree)"
    parent=""
    if [ "$verb" = commit ]; then
      # The branch's head, or else the first branch's (a new branch starts there).
      parent="$(git_ rev-parse --quiet --verify "refs/heads/$branch^{commit}" || true)"
      if [ -z "$parent" ] && [ -f "$work/first-branch" ]; then
        parent="$(git_ rev-parse --quiet --verify "refs/heads/$(cat "$work/first-branch")^{commit}" || true)"
      fi
    fi
    if [ -n "$parent" ]; then
      commit="$(echo "$verb $branch" | git_ commit-tree "$tree" -p "$parent")"
    else
      commit="$(echo "$verb $branch" | git_ commit-tree "$tree")"
    fi
    git_ update-ref "refs/heads/$branch" "$commit"
    [ -f "$work/first-branch" ] || echo "$branch" > "$work/first-branch"
    ;;
  delete-branch)
    git_ update-ref -d "refs/heads/$3"
    ;;
  *)
    echo "unknown request: $verb" >&2
    exit 2
    ;;
esac

// Plain refs: what local-git can learn about a repository by reading its
// files, without libgit2 (whose initialisation alone costs more than a
// whole no-op sync: see git-common/git_handles.h). Only the plain layouts
// are read; anything else is "cannot tell", and the caller asks libgit2.
//
// Thread safety: free functions without state; any thread.
#ifndef TETHER_PLUGINS_LOCAL_GIT_PLAIN_REFS_H_
#define TETHER_PLUGINS_LOCAL_GIT_PLAIN_REFS_H_

#include <string>

namespace tether {
namespace local_git {

// The git directory of the repository at `path` (an existing directory,
// already checked against the allowed roots) when its layout is a plain
// one, in the order libgit2 tries them: `path` itself a repository (a HEAD
// file, "objects" and "refs" directories), else `path`/.git such a
// directory (not a symlink, not a ".git" file naming another place).
// "" for anything else: a linked worktree (a "commondir" file), a
// directory or git directory that another user owns (libgit2 then applies
// its ownership rules), an error.
std::string PlainGitDir(const std::string& path);

// Whether the ref refs/heads/`branch` of `git_dir` (from PlainGitDir)
// holds exactly `commit` (40 or 64 lowercase hex digits): its loose ref
// file, or, when there is none, its line in packed-refs. False when it
// holds anything else (another id, a tag, a symbolic ref), when it is missing,
// when `branch` is not a plain ref name (ASCII letters, digits and
// "._-+/" in non-empty components that do not start with '.', no "..",
// no ".lock" ending), and on any error.
bool PlainBranchIsAt(const std::string& git_dir, const std::string& branch, const std::string& commit);

}  // namespace local_git
}  // namespace tether

#endif  // TETHER_PLUGINS_LOCAL_GIT_PLAIN_REFS_H_

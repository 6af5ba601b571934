// AllowedRoots: the directories local-git may open repositories in (the
// allowed_roots setting), and the check that a repository is inside one.
//
// A path is inside a root when, after resolving symlinks and ".." (of the
// part that exists; the rest lexically) and making it absolute, its
// components start with all of the resolved root's components:
// /srv/git/web.git is inside /srv/git, /srv/gitevil is not, and neither is
// /srv/git/link when the link points elsewhere. Roots are resolved at each
// check, so a root created or re-pointed later is seen.
//
// Thread safety: immutable after construction; Check may run on any thread.
#ifndef TETHER_PLUGINS_LOCAL_GIT_ALLOWED_ROOTS_H_
#define TETHER_PLUGINS_LOCAL_GIT_ALLOWED_ROOTS_H_

#include <string>
#include <vector>

#include "tether/status.h"

namespace tether {
namespace local_git {

class AllowedRoots {
 public:
  explicit AllowedRoots(std::vector<std::string> roots) : roots_(std::move(roots)) {}

  // Resolves `path` (the local path of repository URL `url`) and stores the
  // result in *resolved when it is inside a root. PermissionDenied naming
  // the URL and the roots when it is not, or when it cannot be resolved.
  // Whether the path exists is not revealed for a path outside the roots.
  Status Resolve(const std::string& url, const std::string& path, std::string* resolved) const;

  // Whether `path` (any path; it is resolved) is inside a root. Used for
  // the git directory a repository keeps elsewhere (a ".git" file).
  bool Contains(const std::string& path) const;

  // "/srv/git, /srv/mirrors", as configured.
  std::string Describe() const;

 private:
  std::vector<std::string> roots_;
};

}  // namespace local_git
}  // namespace tether

#endif  // TETHER_PLUGINS_LOCAL_GIT_ALLOWED_ROOTS_H_

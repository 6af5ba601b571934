// LazyRepository: what local-git's Open returns. It answers BranchIsAt from
// the ref files when the repository's layout is plain (plain_refs.h), and
// everything else through a LocalGitRepository of the libgit2 half
// (libgit2_half.h), loaded and opened at the first method that needs it.
//
// Ownership: owns that LocalGitRepository once opened. Never writes to the
// repository.
//
// Thread safety: as provider.h says, one thread at a time per object;
// separate objects may be used concurrently (the half is loaded once per
// process, under a std::call_once).
//
// Errors: those of LocalGitRepository (local_git_repository.h), from Open
// for a layout that is not plain, else from the first method that opens
// it; Internal naming the file when the libgit2 half cannot be loaded.
#ifndef TETHER_PLUGINS_LOCAL_GIT_LAZY_REPOSITORY_H_
#define TETHER_PLUGINS_LOCAL_GIT_LAZY_REPOSITORY_H_

#include <memory>
#include <string>

#include "allowed_roots.h"
#include "tether/provider.h"

namespace tether {
namespace local_git {

// Provider::Open of local-git: the repository `url` designates (repo_url.h).
// With `roots` (not owned; may be null), the path is resolved first and
// must be inside them: PermissionDenied naming the roots otherwise, whether
// or not the path exists. NotFound when the path does not exist,
// InvalidArgument for a URL local-git cannot use or a path that is not a
// directory. Never throws.
Result<std::unique_ptr<Repository>> OpenLocalRepository(const std::string& url, const AllowedRoots* roots);

}  // namespace local_git
}  // namespace tether

#endif  // TETHER_PLUGINS_LOCAL_GIT_LAZY_REPOSITORY_H_

// The boundary between local-git's two halves. The plugin (liblocal-git.so)
// links no libgit2: loading libgit2 and the fifteen libraries it needs
// costs a process about 5.5 ms of CPU and 250 page faults, more than the
// rest of a no-op sync, which only reads a ref file (plain_refs.h). The
// libgit2 half (local-git/liblocal-git-libgit2.so beside the plugin) holds
// LocalGitRepository and is loaded at the first method that needs it, once
// per process, and never unloaded.
//
// Both halves are built together, by the same compiler, from this tree:
// C++ types cross here, and nothing else may load the half.
#ifndef TETHER_PLUGINS_LOCAL_GIT_LIBGIT2_HALF_H_
#define TETHER_PLUGINS_LOCAL_GIT_LIBGIT2_HALF_H_

#include <memory>
#include <string>

#include "allowed_roots.h"
#include "tether/provider.h"

namespace tether {
namespace local_git {

// The half's file name, relative to the directory of liblocal-git.so.
constexpr char kLibgit2HalfFile[] = "local-git/liblocal-git-libgit2.so";

// The half's one exported function, with C linkage so that dlsym finds it
// by this name: opens the repository at `path` (the local path of `url`,
// already resolved against `roots` and checked to be a directory) with
// libgit2, and stores LocalGitRepository::Open's result in *out. `roots`
// may be null (every path allowed); nothing is kept of the arguments.
// Never throws.
constexpr char kLibgit2OpenSymbol[] = "tether_local_git_libgit2_open";
using Libgit2OpenFn = void (*)(const std::string* url, const std::string* path, const AllowedRoots* roots,
                               Result<std::unique_ptr<Repository>>* out);

}  // namespace local_git
}  // namespace tether

#endif  // TETHER_PLUGINS_LOCAL_GIT_LIBGIT2_HALF_H_

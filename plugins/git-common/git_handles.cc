#include "git-common/git_handles.h"

#include <mutex>

namespace tether {
namespace git_common {

void EnsureLibgit2Initialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    git_libgit2_init();
    // libgit2 maps packs in 1 GiB windows and keeps up to 8 GiB mapped; a
    // first sync touches every page of the pack, so all of it would stay
    // resident. Smaller windows under a limit let libgit2 unmap what it
    // has read. The limit is per process, shared by every repository: two
    // windows, one per blob reader (16 MB cost a first sync of 1,000,000
    // files 8 MB more of peak RSS, and no time).
    git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, static_cast<size_t>(4) << 20);
    git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, static_cast<size_t>(8) << 20);
    // libgit2 hashes every object it reads again (SHA-1 with collision
    // detection: a fifth of a first sync's reading). git itself does not:
    // an object was hashed when it entered the repository (a commit, or a
    // fetch's pack index), and zlib's checksum still catches a damaged one.
    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
  });
}

}  // namespace git_common
}  // namespace tether

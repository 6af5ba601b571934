#include "git_handles.h"

#include <mutex>

namespace tether {
namespace local_git {

void EnsureLibgit2Initialized() {
  static std::once_flag once;
  std::call_once(once, [] { git_libgit2_init(); });
}

}  // namespace local_git
}  // namespace tether

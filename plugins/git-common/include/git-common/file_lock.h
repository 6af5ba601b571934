// FileLock: an exclusive lock on a file, across threads and processes, for
// the caches the git providers keep (a mirror's fetch lock, github's REST
// cache).
//
// Thread safety: a FileLock object belongs to one thread; locks taken
// through separate FileLock objects exclude each other across threads and
// processes alike (flock(2) locks belong to the open file, and every
// FileLock opens its own). The lock goes with the object (or Unlock), and
// with the process when it dies.
#ifndef TETHER_PLUGINS_GIT_COMMON_FILE_LOCK_H_
#define TETHER_PLUGINS_GIT_COMMON_FILE_LOCK_H_

#include <string>

#include "tether/status.h"

namespace tether {
namespace git_common {

class FileLock {
 public:
  FileLock() = default;
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  // Blocks until the exclusive lock on `path` (created, with its parent
  // folders, if needed) is held. Internal with the OS's reason on failure.
  Status Lock(const std::string& path);
  void Unlock();

 private:
  int fd_ = -1;
};

}  // namespace git_common
}  // namespace tether

#endif  // TETHER_PLUGINS_GIT_COMMON_FILE_LOCK_H_

// Small filesystem helpers for the cache folder: whole-file reads, atomic
// replacement, and an exclusive lock file.
//
// Thread safety: the functions are safe from any thread. A FileLock object
// belongs to one thread; locks taken through separate FileLock objects
// exclude each other across threads and processes alike (flock(2) locks
// belong to the open file, and every FileLock opens its own).
#ifndef TETHER_PLUGINS_GITHUB_FILE_UTIL_H_
#define TETHER_PLUGINS_GITHUB_FILE_UTIL_H_

#include <string>

#include "tether/status.h"

namespace tether {
namespace github {

// Reads all of `path` into *out. NotFound when it does not exist, Internal
// (with the OS's reason) for other failures.
Status ReadWholeFile(const std::string& path, std::string* out);

// Replaces `path` with `content`: written to a temporary file next to it,
// flushed, then renamed over it, so a reader sees the old or the new file,
// never a part. Creates missing parent directories.
Status WriteFileAtomically(const std::string& path, const std::string& content);

// Creates `path` and its parents (with the process umask).
Status MakeDirectories(const std::string& path);

class FileLock {
 public:
  FileLock() = default;
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  // Blocks until the exclusive lock on `path` (created if needed) is held.
  Status Lock(const std::string& path);
  void Unlock();

 private:
  int fd_ = -1;
};

}  // namespace github
}  // namespace tether

#endif  // TETHER_PLUGINS_GITHUB_FILE_UTIL_H_

// Small filesystem helpers for the cache folder: whole-file reads and atomic
// replacement (the lock file is git-common/file_lock.h).
//
// Thread safety: the functions are safe from any thread.
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

}  // namespace github
}  // namespace tether

#endif  // TETHER_PLUGINS_GITHUB_FILE_UTIL_H_

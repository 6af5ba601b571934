// Turns the repository URL of a project into a local filesystem path.
//
// Accepted: a filesystem path (absolute, or relative to the working
// directory), or a file:// URL whose host is empty or "localhost"
// ("file:///srv/git/app.git"); %XX escapes in a file:// URL are decoded.
// Refused with InvalidArgument: an empty URL, any other scheme (https://,
// ssh://, ...), scp-style remotes ("git@host:org/repo.git") when no such
// local path exists, a file:// URL naming another host, and NUL bytes.
//
// Thread safety: a pure function, safe from any thread.
#ifndef TETHER_PLUGINS_LOCAL_GIT_REPO_URL_H_
#define TETHER_PLUGINS_LOCAL_GIT_REPO_URL_H_

#include <string>

#include "tether/status.h"

namespace tether {
namespace local_git {

// Stores the local path `url` designates in *path. Does not touch the
// filesystem except to tell an existing "a:b" path from an scp-style remote.
Status LocalPathFromUrl(const std::string& url, std::string* path);

// The URL to store for a new project (Provider::CanonicalRepoUrl): a
// file:// URL or an absolute path as it is; a relative path made absolute
// against `working_directory` (and "." and ".." removed, lexically: a
// symlink stays a symlink); a URL LocalPathFromUrl refuses as it is (Open
// refuses it). InvalidArgument for a relative path when
// `working_directory` is "" (nothing to resolve it against).
Result<std::string> CanonicalLocalUrl(const std::string& url, const std::string& working_directory);

}  // namespace local_git
}  // namespace tether

#endif  // TETHER_PLUGINS_LOCAL_GIT_REPO_URL_H_

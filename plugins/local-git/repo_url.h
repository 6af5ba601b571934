// Turns the repository URL of a project into a local filesystem path.
//
// Accepted: a filesystem path (absolute, or relative to the working
// directory), or a file:// URL whose host is empty or "localhost"
// ("file:///srv/git/app.git"); %XX escapes in a file:// URL are decoded.
// Refused with InvalidArgument: an empty URL, any other scheme (https://,
// ssh://, ...), scp-style remotes ("git@host:org/repo.git") when no such
// local path exists, a file:// URL naming another host, and NUL bytes.
//
// Thread safety: pure functions, safe from any thread.
#ifndef TETHER_PLUGINS_LOCAL_GIT_REPO_URL_H_
#define TETHER_PLUGINS_LOCAL_GIT_REPO_URL_H_

#include <optional>
#include <string>

#include "tether/provider.h"
#include "tether/status.h"

namespace tether {
namespace local_git {

// Stores the local path `url` designates in *path. Does not touch the
// filesystem except to tell an existing "a:b" path from an scp-style remote.
Status LocalPathFromUrl(const std::string& url, std::string* path);

// "'<url>'", or "'<url>' (<path>)" when the path differs from the URL: how
// messages name a repository.
std::string DescribeRepository(const std::string& url, const std::string& path);

// Whether `path`, the local path of `url`, is a directory, before anything
// reads it, so that the usual mistakes get a precise message: NotFound when
// it does not exist, InvalidArgument when it is not a directory,
// PermissionDenied when it cannot be reached.
Status CheckRepositoryDirectory(const std::string& url, const std::string& path);

// The URL to store for a new project (Provider::CanonicalRepoUrl): a
// file:// URL or an absolute path as it is; a relative path made absolute
// against `working_directory` (and "." and ".." removed, lexically: a
// symlink stays a symlink); a URL LocalPathFromUrl refuses as it is (Open
// refuses it). InvalidArgument for a relative path when
// `working_directory` is "" (nothing to resolve it against).
Result<std::string> CanonicalLocalUrl(const std::string& url, const std::string& working_directory);

// The remote repository `url` names, as "host/path" to compare: for
// http(s)://, ssh://, git:// (and git+ssh://) URLs and scp-like remotes
// ("git@host:owner/name.git"); the scheme and user are dropped, the host
// is lower-cased (its port kept unless it is the scheme's default), and
// the path loses its leading and trailing '/' and a final ".git"; its case
// is kept. nullopt for anything else: a path, a file:// URL, another
// scheme, a query or fragment, an empty path or "." or ".." segments,
// spaces, control characters or non-ASCII bytes. Reads only `url`.
std::optional<std::string> RemoteRepositoryKey(const std::string& url);

// Provider::MatchesRepository: true when `repo_url` is a remote URL whose
// key (above) is that of one of the URLs `mention` carries (clone, web,
// ssh, git, svn), whatever the forge. A local path (what LocalPathFromUrl
// accepts, an existing "a:b" path too) never matches, not even one ending
// in owner/name: it is not the pushed repository, at most a clone of it.
bool RemoteUrlMatches(const std::string& repo_url, const RepositoryMention& mention);

}  // namespace local_git
}  // namespace tether

#endif  // TETHER_PLUGINS_LOCAL_GIT_REPO_URL_H_

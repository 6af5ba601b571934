// The repository URLs git-remote follows, read and checked before git ever
// sees them.
//
//   https://host[:port]/path     http://host[:port]/path
//   ssh://[user@]host[:port]/path      [user@]host:path (scp-like, SSH)
//   git://host[:port]/path
//
// Refused, with InvalidArgument naming what is wrong: any other scheme
// (file://, a local path, git's transport helpers "ext::" and "fd::"), a
// scheme the settings do not allow, a password in the URL (it would be
// stored with the project and shown everywhere: credentials belong in the
// settings), whitespace, control or non-ASCII characters, a host or path
// starting with '-' (it would read as an option), an empty host or path,
// and more than 2048 characters.
//
// Thread safety: pure functions.
#ifndef TETHER_PLUGINS_GIT_REMOTE_REMOTE_URL_H_
#define TETHER_PLUGINS_GIT_REMOTE_REMOTE_URL_H_

#include <string>
#include <vector>

#include "tether/status.h"

namespace tether {
namespace git_remote {

struct RemoteUrl {
  std::string text;    // the URL as given (trimmed), what git is given
  std::string scheme;  // "https", "http", "ssh" (scp-like too) or "git"
  std::string user;    // "" when the URL names none
  std::string host;    // as written; an IPv6 address keeps its brackets
  std::string port;    // "" for the scheme's default
  std::string path;    // "/group/project.git"; the scp-like "a/b" reads as "/a/b"
  bool scp_like = false;

  // host[:port] as git names it to a credential helper ("host=" line).
  std::string Authority() const { return port.empty() ? host : host + ":" + port; }
};

// `text` with ASCII letters in lower case (hosts, settings, git's messages).
std::string AsciiLower(std::string text);

// Reads `url`. `allowed_schemes` lists the schemes the settings allow.
Result<RemoteUrl> ParseRemoteUrl(const std::string& url, const std::vector<std::string>& allowed_schemes);

// What names one repository whatever the spelling: the host in lower case
// without a default port, and the path without a trailing "/" or ".git",
// also in lower case when `fold_case` (GitHub's names ignore case). The
// scheme and user are left out: https://h/o/r and git@h:o/r.git are one
// repository.
std::string RepositoryKey(const RemoteUrl& url, bool fold_case);

}  // namespace git_remote
}  // namespace tether

#endif  // TETHER_PLUGINS_GIT_REMOTE_REMOTE_URL_H_

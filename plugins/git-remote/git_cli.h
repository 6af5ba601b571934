// GitCli: the git commands git-remote runs against a remote, through git's
// own command line (shared/child_process.h), so that every transport git
// has works as it does for the operator's `git clone`: smart HTTP(S) with
// proxies and CA settings from git's configuration, SSH through OpenSSH
// with its keys, agent, config and known_hosts, and git://.
//
// Every command gets, whatever git's configuration and environment say:
//   - only the protocols the settings allow (protocol.allow=never, then
//     protocol.<name>.allow=always each), so no URL, redirect or
//     configuration reaches file://, ext:: or another transport helper;
//   - no prompt: GIT_TERMINAL_PROMPT=0, no askpass, ssh -o BatchMode=yes;
//   - no credential helper but its own: the password (password_env or
//     password_file, read at each command) goes to git through the child's
//     environment and an inline helper that answers only for the URL's own
//     host, never on a command line, in a file or in a message;
//   - deadlines: the whole command is killed (with what it started) at
//     timeout_seconds (listing) or fetch_timeout_seconds (fetching); an
//     HTTP transfer slower than 1 KB/s for stall_seconds ends, and so does
//     an SSH connection whose server stops answering;
//   - no garbage collection after a fetch (a commit fetched once stays
//     readable), no tags, no submodules, no FETCH_HEAD; each fetch is one
//     pack, and past kMaxPacks the mirror is repacked into one, keeping
//     unreachable objects;
//   - LC_ALL=C, so that its messages can be read.
//
// Ownership: borrows the settings, which must outlive it.
// Thread safety: every method may be called from any thread at once.
// Errors: InvalidArgument for a URL the settings refuse; Internal when git
// cannot start a program it needs (ssh_command); Unauthenticated
// when the server asks for credentials and none are configured or it
// refuses them (SSH keys too); PermissionDenied for 403, an unknown SSH
// host key and a TLS certificate git does not trust; NotFound for a repository the server does not have;
// RateLimited on 429; Unavailable for network and server errors and a
// deadline passed; Internal for the rest, with git's last words. Messages
// name the URL, never a password.
#ifndef TETHER_PLUGINS_GIT_REMOTE_GIT_CLI_H_
#define TETHER_PLUGINS_GIT_REMOTE_GIT_CLI_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "git-common/mirror.h"
#include "remote_url.h"
#include "settings.h"

namespace tether {
namespace git_remote {

struct RemoteHead {
  std::string branch;  // without refs/heads/
  std::string commit;
};

class GitCli final : public git_common::MirrorFetcher {
 public:
  explicit GitCli(const GitRemoteSettings* settings);

  // Reads `url` with the settings' protocols and hosts.
  Result<RemoteUrl> Parse(const std::string& url) const;

  // The remote's branches and their heads (git ls-remote --heads), in the
  // order git lists them.
  Result<std::vector<RemoteHead>> ListHeads(const RemoteUrl& url) const;

  // The branch the remote's HEAD names, "" when it names none.
  Result<std::string> DefaultBranch(const RemoteUrl& url) const;

  // git fetch into the mirror at `git_dir` (MirrorFetcher).
  Status Fetch(git_repository* repo, const std::string& git_dir, const std::string& url,
               const std::string& context) override;

 private:
  // How long a command may take, and the setting that says so (for messages).
  struct Deadline {
    int64_t seconds;
    const char* setting;
  };
  Deadline ListDeadline() const { return {settings_->timeout_seconds, "timeout_seconds"}; }
  Deadline FetchDeadline() const { return {settings_->fetch_timeout_seconds, "fetch_timeout_seconds"}; }

  // Runs git with `args` after the common options; `what` names the command
  // in messages. A failed or timed-out command is mapped to a Status.
  Result<std::string> Run(const RemoteUrl& url, const std::vector<std::string>& args, const Deadline& deadline,
                          const std::string& what) const;
  // The configured password, read now (a rotated secret is used at once).
  Result<std::string> Password(const std::string& what) const;

  const GitRemoteSettings* const settings_;  // not owned
  std::string ssh_command_;                  // GIT_SSH_COMMAND, made from the settings once
};

// The Status for git's failure, from its stderr (already free of secrets).
Status GitFailureStatus(const std::string& stderr_text, const std::string& what);

// A mirror holding more packs than this is repacked into one after a fetch.
constexpr size_t kMaxPacks = 32;

// How many packs the bare repository at `git_dir` holds.
size_t PackCount(const std::string& git_dir);

}  // namespace git_remote
}  // namespace tether

#endif  // TETHER_PLUGINS_GIT_REMOTE_GIT_CLI_H_

// The git-remote plugin's settings: the "settings" object of its entry in
// the engine's configuration, parsed and checked once when the plugin is
// made.
//
//   {
//     "cache_dir": "/var/cache/tether/git-remote",  default $XDG_CACHE_HOME/tether/git-remote
//                                                   or ~/.cache/tether/git-remote
//     "protocols": ["https", "ssh"],                default all of https, ssh, git, http
//     "hosts": ["gitlab.example.com"],              the servers projects may name
//                                                   (host or host:port); default any
//     "username": "tether",                         HTTP(S) user; default the URL's
//     "password_env": "GITLAB_TOKEN",               or "password_file": "/run/secrets/token"
//     "ssh_key_file": "/etc/tether/id_ed25519",     default ssh's own keys and agent
//     "ssh_known_hosts_file": "/etc/tether/known_hosts",  default ssh's own
//     "ssh_command": "ssh",
//     "git": "git",                                 the git program
//     "timeout_seconds": 60,                        listing a remote's branches
//     "fetch_timeout_seconds": 900,                 one clone or fetch, start to end
//     "stall_seconds": 60                           a transfer that moves nothing
//   }
//
// Credentials go only to the servers in "hosts": a password or SSH key in
// the settings without "hosts" is refused, so a project naming a server of
// its own can never collect them. Unknown keys, wrong types and
// out-of-range values are refused with InvalidArgument naming the key. The
// password itself is not read here: it is read at each git command, so a
// rotated secret is used at once.
//
// Thread safety: a parsed GitRemoteSettings is an immutable value.
#ifndef TETHER_PLUGINS_GIT_REMOTE_SETTINGS_H_
#define TETHER_PLUGINS_GIT_REMOTE_SETTINGS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "tether/status.h"

namespace tether {
namespace git_remote {

struct GitRemoteSettings {
  std::string cache_dir;  // absolute; the bare mirrors live here
  std::vector<std::string> protocols = {"https", "ssh", "git", "http"};
  std::vector<std::string> hosts;  // lower case; empty means any
  std::string username;
  std::string password_env;
  std::string password_file;
  std::string ssh_key_file;
  std::string ssh_known_hosts_file;
  std::string ssh_command = "ssh";
  std::string git = "git";
  int64_t timeout_seconds = 60;
  int64_t fetch_timeout_seconds = 900;
  int64_t stall_seconds = 60;

  bool has_credentials() const {
    return !password_env.empty() || !password_file.empty() || !ssh_key_file.empty();
  }
};

// Parses `json` ("", "null" and "{}" mean all defaults). `plugin_name` is
// used in messages. Reads $XDG_CACHE_HOME and $HOME for the default
// cache_dir.
Result<GitRemoteSettings> ParseSettings(const std::string& json, const std::string& plugin_name);

}  // namespace git_remote
}  // namespace tether

#endif  // TETHER_PLUGINS_GIT_REMOTE_SETTINGS_H_

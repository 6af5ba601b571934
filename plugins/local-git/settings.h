// The local-git plugin's settings, from the "settings" object of its entry
// in the config:
//
//   {"allowed_roots": ["/srv/git", "/srv/mirrors"]}
//
// allowed_roots (optional): the directories repositories must be in. When
// given, a repository outside all of them (after resolving symlinks and
// "..") is refused on every Open, so that whoever may add a project (an API
// token) cannot read any repository the server's user can. Each root must
// be an absolute path; the list must not be empty. Without the key, every
// path may be opened (the behaviour before the setting existed).
//
// Thread safety: a pure function.
#ifndef TETHER_PLUGINS_LOCAL_GIT_SETTINGS_H_
#define TETHER_PLUGINS_LOCAL_GIT_SETTINGS_H_

#include <optional>
#include <string>
#include <vector>

#include "tether/status.h"

namespace tether {
namespace local_git {

struct LocalGitSettings {
  // nullopt: no restriction. Otherwise the roots as configured (absolute).
  std::optional<std::vector<std::string>> allowed_roots;
};

// Parses `json` (the settings object; "", "null" and "{}" mean no settings).
// InvalidArgument naming the plugin `plugin_name` and the key at fault for
// anything else: not an object, an unknown key, a root that is not a
// non-empty absolute path, an empty list, JSON nested too deep.
Result<LocalGitSettings> ParseSettings(const std::string& plugin_name, const std::string& json);

}  // namespace local_git
}  // namespace tether

#endif  // TETHER_PLUGINS_LOCAL_GIT_SETTINGS_H_

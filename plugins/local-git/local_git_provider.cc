// The local-git provider plugin: opens git repositories on the local
// filesystem (bare or not) by path or file:// URL. See
// local_git_repository.h for what a Repository does.
//
// Settings: none. The plugin accepts an absent, null or empty ("{}")
// settings object and refuses anything else, so that a misplaced setting is
// reported instead of silently ignored.
//
// Thread safety: LocalGitProvider has no mutable state; Open may be called
// from any number of threads at once, and each Repository it returns owns
// its own git_repository.
#include <cctype>
#include <exception>
#include <memory>
#include <string>

#include "git-common/git_handles.h"
#include "local_git_repository.h"
#include "tether/plugin.h"
#include "tether/provider.h"

namespace tether {
namespace local_git {
namespace {

class LocalGitProvider final : public Provider {
 public:
  Result<std::unique_ptr<Repository>> Open(const std::string& repo_url) override {
    return LocalGitRepository::Open(repo_url);  // catches its own exceptions
  }
};

// True for "", "null" and "{}" with any whitespace. Not a JSON parser: the
// plugin has no settings, so it only needs to recognise "nothing".
bool IsEmptySettings(const std::string& json) {
  std::string compact;
  for (char c : json) {
    if (!std::isspace(static_cast<unsigned char>(c))) compact.push_back(c);
  }
  return compact.empty() || compact == "{}" || compact == "null";
}

Result<std::unique_ptr<Plugin>> CreateLocalGitProvider(const PluginContext& context) {
  if (!IsEmptySettings(context.settings_json)) {
    return Status::InvalidArgument("plugin '" + context.name +
                                   "' (local-git) takes no settings; remove its \"settings\" "
                                   "object from the configuration");
  }
  git_common::EnsureLibgit2Initialized();
  return std::unique_ptr<Plugin>(new LocalGitProvider());
}

}  // namespace
}  // namespace local_git
}  // namespace tether

TETHER_PLUGIN(TETHER_PLUGIN_PROVIDER, "local-git", "0.1.0",
              "Git repositories on the local filesystem (path or file:// URL), read with libgit2",
              tether::local_git::CreateLocalGitProvider)

// The local-git provider plugin: opens git repositories on the local
// filesystem (bare or not) by path or file:// URL. See
// local_git_repository.h for what a Repository does.
//
// Settings (settings.h): optional "allowed_roots", the directories
// repositories must be in. Absent, null or empty ("{}") settings allow
// every path; anything else is checked, so that a misplaced setting is
// reported instead of silently ignored.
//
// Webhooks: a project whose URL is a remote's (https, ssh, git, or
// "git@host:owner/name") follows the pushed repository when the delivery
// carries that URL (repo_url.h, RemoteUrlMatches); one at a local path
// never does.
//
// Thread safety: LocalGitProvider has no mutable state; Open,
// CanonicalRepoUrl and MatchesRepository may be called from any number of
// threads at once, and each Repository Open returns owns its own
// git_repository once it opens one (lazy_repository.h).
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include "allowed_roots.h"
#include "lazy_repository.h"
#include "repo_url.h"
#include "settings.h"
#include "tether/plugin.h"
#include "tether/provider.h"

namespace tether {
namespace local_git {
namespace {

class LocalGitProvider final : public Provider {
 public:
  explicit LocalGitProvider(std::optional<AllowedRoots> roots) : roots_(std::move(roots)) {}

  Result<std::unique_ptr<Repository>> Open(const std::string& repo_url) override {
    return OpenLocalRepository(repo_url, roots_ ? &*roots_ : nullptr);
  }

  // A relative path is made absolute against the directory it was typed in;
  // without one (the HTTP API) it is refused.
  Result<std::string> CanonicalRepoUrl(const std::string& repo_url,
                                       const std::string& working_directory) override {
    try {
      return CanonicalLocalUrl(repo_url, working_directory);
    } catch (const std::exception& e) {
      return Status::Internal(std::string("local-git CanonicalRepoUrl: ") + e.what());
    }
  }

  // A remote URL, compared with those of the delivery (repo_url.h); a local
  // path never matches.
  bool MatchesRepository(const std::string& repo_url, const RepositoryMention& mention) override {
    try {
      return RemoteUrlMatches(repo_url, mention);
    } catch (const std::exception&) {
      return false;  // out of memory: no answer is a "no"
    }
  }

 private:
  const std::optional<AllowedRoots> roots_;  // nullopt: every path may be opened
};

Result<std::unique_ptr<Plugin>> CreateLocalGitProvider(const PluginContext& context) {
  Result<LocalGitSettings> settings = ParseSettings(context.name, context.settings_json);
  if (!settings.ok()) return settings.status();
  std::optional<AllowedRoots> roots;
  if (settings->allowed_roots) roots.emplace(*settings->allowed_roots);
  // libgit2 is neither loaded nor initialised here: the libgit2 half
  // (libgit2_half.h) is loaded by the first Repository method that needs
  // it, and initialises libgit2 (which parses the system's CA bundle
  // whatever the repository, git_handles.h) when it opens one.
  return std::unique_ptr<Plugin>(new LocalGitProvider(std::move(roots)));
}

}  // namespace
}  // namespace local_git
}  // namespace tether

TETHER_PLUGIN(TETHER_PLUGIN_PROVIDER, "local-git", "0.2.0",
              "Git repositories on the local filesystem (path or file:// URL), read with libgit2",
              tether::local_git::CreateLocalGitProvider)

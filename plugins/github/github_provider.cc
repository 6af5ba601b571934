// The github provider plugin: repositories on GitHub (or GitHub Enterprise
// Server), named "owner/name" or by their https URL. Branches come from the
// REST API with conditional requests; content from a bare git mirror in the
// cache folder, diffed and read like local-git. See github_repository.h for
// what a Repository does and settings.h for the settings.
//
// Thread safety: GitHubProvider holds only shared, thread-safe state (the
// settings, the token source, the rate-limit gate); Open and
// MatchesRepository may be called from any number of threads at once, and
// each Repository Open returns owns its own connection and mirror handles.
#include <exception>
#include <memory>
#include <string>
#include <utility>

#include "git-common/git_handles.h"
#include "github_repository.h"
#include "shared/http_client.h"
#include "repo_name.h"
#include "settings.h"
#include "tether/plugin.h"
#include "tether/provider.h"

namespace tether {
namespace github {
namespace {

class GitHubProvider final : public Provider {
 public:
  explicit GitHubProvider(std::shared_ptr<ProviderShared> shared) : shared_(std::move(shared)) {}

  Result<std::unique_ptr<Repository>> Open(const std::string& repo_url) override {
    return GitHubRepository::Open(shared_, repo_url);  // catches its own exceptions
  }

  // The repository of a GitHub delivery, on the configured server (repo_name.h).
  bool MatchesRepository(const std::string& repo_url, const RepositoryMention& mention) override {
    try {
      return RepoNameMatches(repo_url, mention, shared_->settings.api_base_url);
    } catch (const std::exception&) {
      return false;  // out of memory: no answer is a "no"
    }
  }

 private:
  const std::shared_ptr<ProviderShared> shared_;
};

Result<std::unique_ptr<Plugin>> CreateGitHubProvider(const PluginContext& context) {
  Result<GitHubSettings> settings = ParseSettings(context.settings_json, context.name);
  if (!settings.ok()) return settings.status();
  git_common::EnsureLibgit2Initialized();
  Result<std::shared_ptr<ProviderShared>> shared = MakeProviderShared(std::move(settings).value());
  if (!shared.ok()) return shared.status();
  return std::unique_ptr<Plugin>(new GitHubProvider(std::move(shared).value()));
}

}  // namespace
}  // namespace github
}  // namespace tether

TETHER_PLUGIN(TETHER_PLUGIN_PROVIDER, "github", "0.1.0",
              "Repositories on GitHub or GitHub Enterprise Server (owner/name or https URL): "
              "branches through REST, content through a cached bare git mirror",
              tether::github::CreateGitHubProvider)

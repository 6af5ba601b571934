// The git-remote provider plugin: any git remote over HTTPS, HTTP, SSH or
// git:// (GitLab, Gitea, Bitbucket, a self-hosted server, GitHub without
// its API), named by its URL. Branches are listed by the remote itself;
// content comes from a bare mirror in the cache folder, diffed and read
// like local-git. See remote_url.h for the URLs it takes, settings.h for
// the settings, git_cli.h for how git is run and git_remote_repository.h
// for what a Repository does.
//
// Built against the SDK and git-common alone, like a third party's plugin.
//
// Thread safety: the provider holds only immutable shared state; Open,
// CanonicalRepoUrl and MatchesRepository may be called from any number of
// threads at once.
#include <exception>
#include <memory>
#include <string>
#include <utility>

#include "git-common/git_handles.h"
#include "git_remote_repository.h"
#include "remote_url.h"
#include "settings.h"
#include "tether/plugin.h"
#include "tether/provider.h"

namespace tether {
namespace git_remote {
namespace {

class GitRemoteProvider final : public Provider {
 public:
  explicit GitRemoteProvider(std::shared_ptr<const Shared> shared) : shared_(std::move(shared)) {}

  Result<std::unique_ptr<Repository>> Open(const std::string& repo_url) override {
    git_common::EnsureLibgit2Initialized();
    return GitRemoteRepository::Open(shared_, repo_url);  // catches its own exceptions
  }

  // The URL as given, once the settings accept it: a URL is the same
  // wherever it is typed.
  Result<std::string> CanonicalRepoUrl(const std::string& repo_url, const std::string& /*working_directory*/) override {
    try {
      Result<RemoteUrl> url = shared_->cli->Parse(repo_url);
      if (!url.ok()) return url.status();
      return url->text;
    } catch (const std::exception& e) {
      return Status::Internal(std::string("git-remote CanonicalRepoUrl: ") + e.what());
    }
  }

  // A GitHub push names its repository by four URLs; the project's is one
  // of them when both name the same host and path (GitHub's names ignore
  // case; the scheme, user and a ".git" ending do not matter).
  bool MatchesRepository(const std::string& repo_url, const RepositoryMention& mention) override {
    try {
      Result<RemoteUrl> project = ParseRemoteUrl(repo_url, shared_->settings.protocols);
      if (!project.ok() || mention.forge != "github") return false;
      const std::string key = RepositoryKey(*project, /*fold_case=*/true);
      for (const std::string* named : {&mention.clone_url, &mention.ssh_url, &mention.git_url, &mention.html_url}) {
        if (named->empty()) continue;
        Result<RemoteUrl> other = ParseRemoteUrl(*named, {"https", "http", "ssh", "git"});
        if (other.ok() && RepositoryKey(*other, /*fold_case=*/true) == key) return true;
      }
      return false;
    } catch (const std::exception&) {
      return false;  // out of memory: no answer is a "no"
    }
  }

 private:
  const std::shared_ptr<const Shared> shared_;
};

Result<std::unique_ptr<Plugin>> CreateGitRemoteProvider(const PluginContext& context) {
  try {
    Result<GitRemoteSettings> settings = ParseSettings(context.settings_json, context.name);
    if (!settings.ok()) return settings.status();
    auto shared = std::make_shared<Shared>();
    shared->settings = std::move(settings).value();
    shared->cli = std::make_unique<GitCli>(&shared->settings);
    return std::unique_ptr<Plugin>(new GitRemoteProvider(std::move(shared)));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("git-remote: ") + e.what());
  }
}

}  // namespace
}  // namespace git_remote
}  // namespace tether

TETHER_PLUGIN(TETHER_PLUGIN_PROVIDER, "git-remote", "0.1.0",
              "Any git remote over HTTPS, SSH or git:// (GitLab, Gitea, Bitbucket, self-hosted): "
              "branches listed by the remote, content through a cached bare mirror",
              tether::git_remote::CreateGitRemoteProvider)

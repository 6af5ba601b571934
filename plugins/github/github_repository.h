// GitHubRepository: a tether::Repository over one GitHub repository.
//
// Branches come from the REST API: the list (GET .../branches, 100 a page,
// following each Link rel="next" exactly as given), the default branch (GET
// /repos/{owner}/{name}) and one branch's head (GET .../branches/{branch}).
// Every one of these is a conditional request with the ETag of the last
// answer (rest_cache.h): when nothing changed GitHub answers 304, which
// costs no rate limit, and the cached answer stands.
//
// Content comes from git, never one REST call per file: a bare mirror in
// the cache folder (mirror.h), fetched only when a commit asked for is not
// in it yet, then read exactly like local-git (git-common's tree walk diff,
// exact renames, blob reads).
//
// A branch GitHub reports renamed (301) is followed to its new name and
// head, and ResolveBranch fails with NotFound naming both, so the project
// is pointed at the new name deliberately; nothing is deleted.
//
// Ownership: the object owns its HTTP connection, its cache view and its
// mirror handles; it shares the provider's settings, token source and
// rate-limit gate (ProviderShared) and keeps them alive.
//
// Thread safety: as provider.h says, one thread at a time per object.
// Separate objects, on the same repository too, may be used concurrently:
// fetches into one mirror are serialized (mirror.h), cache updates are
// locked (rest_cache.h).
//
// Errors: as provider.h says. Never a partial answer: a failed page, fetch
// or read fails the whole call. Every message names the repository as
// owner/name and never contains a token. No exception escapes a method.
#ifndef TETHER_PLUGINS_GITHUB_GITHUB_REPOSITORY_H_
#define TETHER_PLUGINS_GITHUB_GITHUB_REPOSITORY_H_

#include <memory>
#include <string>

#include "credentials.h"
#include "git-common/mirror.h"
#include "git-common/mirror_reader.h"
#include "git_fetcher.h"
#include "rate_limit.h"
#include "repo_name.h"
#include "rest_cache.h"
#include "rest_transport.h"
#include "settings.h"
#include "tether/provider.h"

namespace tether {
namespace github {

// What every repository of one provider shares. Immutable after creation
// except through the members' own (thread-safe) methods.
struct ProviderShared {
  GitHubSettings settings;
  std::string server_folder;  // <cache_dir>/<host[_port]>
  std::unique_ptr<RateLimitGate> gate;
  std::unique_ptr<TokenSource> tokens;
  std::unique_ptr<GitHubFetcher> fetcher;  // uses settings and tokens
};

// Builds the shared state from parsed settings (loads an App's key).
Result<std::shared_ptr<ProviderShared>> MakeProviderShared(GitHubSettings settings);

class GitHubRepository final : public Repository {
 public:
  // Checks `url` (repo_name.h) and that a configured token can be read;
  // sends nothing to GitHub.
  static Result<std::unique_ptr<Repository>> Open(std::shared_ptr<ProviderShared> shared,
                                                   const std::string& url);

  GitHubRepository(const GitHubRepository&) = delete;
  GitHubRepository& operator=(const GitHubRepository&) = delete;

  Result<BranchList> ListBranches() override;
  Result<CommitId> ResolveBranch(const std::string& branch) override;
  Result<bool> IsAncestor(const CommitId& ancestor, const CommitId& commit) override;
  Status Diff(const CommitId& from, const CommitId& to, ChangeSink* sink) override;
  Result<Blob> ReadBlob(const BlobId& id, uint64_t max_bytes) override;

 private:
  GitHubRepository(std::shared_ptr<ProviderShared> shared, RepoName name);

  template <typename Body>
  auto Guarded(const char* operation, Body&& body) -> decltype(body());

  Result<BranchList> ListBranchesUnguarded();
  Result<CommitId> ResolveBranchUnguarded(const std::string& branch);

  // GET `url` with If-None-Match `etag` (when not empty) and the token.
  // 401 and 403 become Unauthenticated and PermissionDenied (an App token
  // refused with 401 is remade once); every other answer is returned.
  Result<HttpResponse> Get(const std::string& url, const std::string& etag,
                           const std::string& what);
  // The repository's REST facts, asked once per object (conditionally).
  Result<CachedRepository> RepositoryInfo();
  Status RepositoryNotFound(const HttpResponse& response) const;
  // Opens the mirror (cloning it the first time), for content_.
  Result<std::unique_ptr<git_common::Mirror>> OpenMirror();
  void SaveCache(const std::function<void(RestCacheData*)>& change);

  const std::shared_ptr<ProviderShared> shared_;
  const RepoName name_;
  const std::string display_;  // owner/name
  const std::string api_repo_;  // <api_base_url>/repos/<owner>/<name>
  RestTransport transport_;
  RestCache cache_;
  RestCacheData cached_;
  bool repository_asked_ = false;
  git_common::MirrorReader content_;  // after cached_: its opener reads it
};

}  // namespace github
}  // namespace tether

#endif  // TETHER_PLUGINS_GITHUB_GITHUB_REPOSITORY_H_

// GitHubFetcher: how the github provider fetches into its mirrors
// (git-common/mirror.h): libgit2 over HTTP(S), the token through a
// credentials callback that answers once and gives up when the server asks
// again, retried with backoff for server and network errors, an App token
// refused before its time remade once.
//
// Ownership: the settings and the token source are borrowed and must
// outlive the fetcher.
// Thread safety: Fetch may be called from several threads at once (each
// call uses only its arguments and the thread-safe token source).
// Errors: Unauthenticated when GitHub refuses the credentials, NotFound
// when it has no such repository, RateLimited on a 429, PermissionDenied on
// a 403, Unavailable for network and server errors that outlived the
// retries, Internal for the rest. Messages name the repository, never a
// token.
#ifndef TETHER_PLUGINS_GITHUB_GIT_FETCHER_H_
#define TETHER_PLUGINS_GITHUB_GIT_FETCHER_H_

#include <string>

#include "credentials.h"
#include "git-common/mirror.h"
#include "settings.h"

namespace tether {
namespace github {

class GitHubFetcher final : public git_common::MirrorFetcher {
 public:
  GitHubFetcher(const GitHubSettings* settings, TokenSource* tokens);

  Status Fetch(git_repository* repo, const std::string& git_dir, const std::string& url,
               const std::string& context) override;

 private:
  // One fetch. Sets *transient when another try may succeed (a server or
  // network error; a refused App token when `may_renew_token`).
  Status FetchOnce(git_repository* repo, const std::string& url, bool may_renew_token, bool* transient);

  const GitHubSettings* const settings_;  // not owned
  TokenSource* const tokens_;             // not owned
};

}  // namespace github
}  // namespace tether

#endif  // TETHER_PLUGINS_GITHUB_GIT_FETCHER_H_

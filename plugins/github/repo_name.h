// Which GitHub repository a project's repository URL names.
//
// Accepted: "owner/name", "owner/name.git", and https URLs of the
// repository's web or clone address, "https://github.com/owner/name" with
// an optional ".git" and trailing '/'. A URL's host must be the API's host
// or, when that starts with "api.", the host without it (github.com for
// api.github.com; ghe.example for ghe.example/api/v3), so that a project
// cannot silently name a repository on another server than the one the
// credentials are for. Refused with InvalidArgument: anything else, and
// owner or name characters GitHub does not allow.
//
// Thread safety: pure functions.
#ifndef TETHER_PLUGINS_GITHUB_REPO_NAME_H_
#define TETHER_PLUGINS_GITHUB_REPO_NAME_H_

#include <string>

#include "tether/provider.h"
#include "tether/status.h"

namespace tether {
namespace github {

struct RepoName {
  std::string owner;
  std::string name;
  std::string FullName() const { return owner + "/" + name; }
};

// Parses `url`; `api_base_url` is the configured API root.
Status ParseRepoName(const std::string& url, const std::string& api_base_url, RepoName* out);

// Provider::MatchesRepository: whether the project URL `repo_url` names the
// repository of a GitHub delivery. True only when `mention` comes from
// GitHub ("github"), its full_name parses, its html_url is a repository URL
// on the configured server (ParseRepoName with `api_base_url`: a delivery
// of another GitHub server names another repository, whatever its name)
// naming that full_name, and `repo_url` parses to the same owner/name.
// Owners and names are compared ignoring case, as GitHub does.
bool RepoNameMatches(const std::string& repo_url, const RepositoryMention& mention,
                     const std::string& api_base_url);

}  // namespace github
}  // namespace tether

#endif  // TETHER_PLUGINS_GITHUB_REPO_NAME_H_

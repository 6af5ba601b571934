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
// Thread safety: a pure function.
#ifndef TETHER_PLUGINS_GITHUB_REPO_NAME_H_
#define TETHER_PLUGINS_GITHUB_REPO_NAME_H_

#include <string>

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

}  // namespace github
}  // namespace tether

#endif  // TETHER_PLUGINS_GITHUB_REPO_NAME_H_

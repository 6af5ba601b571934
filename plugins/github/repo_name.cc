#include "repo_name.h"

#include <cctype>
#include <optional>
#include <utility>

#include "shared/percent_encoding.h"
#include "http_url.h"

namespace tether {
namespace github {
namespace {

// GitHub: owners are letters, digits, '-' (and '_' for Enterprise managed
// users); repository names also take '.', but are never "." or "..".
bool ValidOwner(const std::string& owner) {
  if (owner.empty() || owner.size() > 100) return false;
  for (char c : owner) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 100 || name == "." || name == "..") return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

bool EqualIgnoringCase(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool SameRepository(const RepoName& a, const RepoName& b) {
  return EqualIgnoringCase(a.owner, b.owner) && EqualIgnoringCase(a.name, b.name);
}

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Status SplitOwnerName(const std::string& url, std::string path, RepoName* out) {
  const std::string usage = "repository '" + url +
                            "' is not a GitHub repository: give \"owner/name\" or "
                            "https://github.com/owner/name";
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (EndsWith(path, ".git")) path.resize(path.size() - 4);
  const size_t slash = path.find('/');
  if (slash == std::string::npos || path.find('/', slash + 1) != std::string::npos) {
    return Status::InvalidArgument(usage);
  }
  RepoName name{path.substr(0, slash), path.substr(slash + 1)};
  if (!ValidOwner(name.owner) || !ValidName(name.name)) return Status::InvalidArgument(usage);
  *out = std::move(name);
  return Status::Ok();
}

}  // namespace

Status ParseRepoName(const std::string& url, const std::string& api_base_url, RepoName* out) {
  if (url.find("://") == std::string::npos) return SplitOwnerName(url, url, out);
  HttpUrl parsed;
  TETHER_RETURN_IF_ERROR(ParseHttpUrl(url, "repository", &parsed));
  HttpUrl api;
  TETHER_RETURN_IF_ERROR(ParseHttpUrl(api_base_url, "api_base_url", &api));
  std::string web_host = api.host;
  if (web_host.rfind("api.", 0) == 0) web_host = web_host.substr(4);
  const bool same_server = parsed.port == api.port &&
                           (parsed.host == api.host || parsed.host == web_host);
  if (!same_server) {
    return Status::InvalidArgument("repository '" + url + "' is not on the configured GitHub (" +
                                   api_base_url +
                                   "); set the plugin's api_base_url for that server");
  }
  if (parsed.path.find('?') != std::string::npos) {
    return Status::InvalidArgument("repository '" + url + "' has a query string");
  }
  std::optional<std::string> decoded = PercentDecode(parsed.path);
  if (!decoded) return Status::InvalidArgument("repository '" + url + "' has a malformed %-escape");
  std::string path = std::move(*decoded);
  if (!path.empty() && path.front() == '/') path.erase(0, 1);
  return SplitOwnerName(url, path, out);
}

bool RepoNameMatches(const std::string& repo_url, const RepositoryMention& mention,
                     const std::string& api_base_url) {
  if (mention.forge != "github") return false;
  RepoName named, web, stored;
  // full_name has no "://": parsed as "owner/name" alone, whatever the server.
  if (mention.full_name.find("://") != std::string::npos) return false;
  if (!ParseRepoName(mention.full_name, api_base_url, &named).ok()) return false;
  // The server is the one html_url is on: it must be the configured one.
  if (mention.html_url.find("://") == std::string::npos) return false;
  if (!ParseRepoName(mention.html_url, api_base_url, &web).ok() || !SameRepository(named, web)) return false;
  if (!ParseRepoName(repo_url, api_base_url, &stored).ok()) return false;
  return SameRepository(named, stored);
}

}  // namespace github
}  // namespace tether

#include "github_repository.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "shared/percent_encoding.h"
#include "git-common/cache_names.h"
#include "http_url.h"
#include "link_header.h"
#include "tether/json_depth.h"

namespace tether {
namespace github {
namespace {

using git_common::Fnv1a;
using git_common::SafeName;

// More pages than this (10 million branches) means a server sending us in
// circles.
constexpr int kMaxPages = 100000;
constexpr int kMaxRedirects = 3;

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string JsonString(const rapidjson::Value& object, const char* key) {
  if (!object.IsObject()) return "";
  auto found = object.FindMember(key);
  if (found == object.MemberEnd() || !found->value.IsString()) return "";
  return std::string(found->value.GetString(), found->value.GetStringLength());
}

// A GitHub answer nested deeper than kMaxJsonDepth is refused before it is
// parsed: Internal, like any other answer the plugin cannot read.
Status CheckAnswerDepth(const std::string& body, const std::string& what) {
  Status depth = CheckJsonDepth(body, what + ": the answer");
  return depth.ok() ? depth : Status::Internal(depth.message());
}

// The "message" of GitHub's error body, or "".
std::string GitHubMessage(const std::string& body) {
  if (!CheckJsonDepth(body, "").ok()) return "";
  rapidjson::Document document;
  document.Parse(body.c_str(), body.size());
  if (document.HasParseError()) return "";
  return JsonString(document, "message");
}

// "200" or "404 Not Found" (with GitHub's message when there is one).
std::string Answer(const HttpResponse& response) {
  const std::string message = GitHubMessage(response.body);
  return std::to_string(response.status) + (message.empty() ? "" : " " + message);
}

// The path of an API URL, for messages: "GET /repos/o/n/branches?page=2".
std::string Describe(const std::string& api_base_url, const std::string& url) {
  return "GET " + (url.compare(0, api_base_url.size(), api_base_url) == 0
                       ? url.substr(api_base_url.size())
                       : url);
}

}  // namespace

Result<std::shared_ptr<ProviderShared>> MakeProviderShared(GitHubSettings settings) {
  auto shared = std::make_shared<ProviderShared>();
  shared->settings = std::move(settings);
  HttpUrl api;
  TETHER_RETURN_IF_ERROR(ParseHttpUrl(shared->settings.api_base_url, "api_base_url", &api));
  shared->server_folder = shared->settings.cache_dir + "/" +
                          SafeName(api.host + (api.port.empty() ? "" : "_" + api.port));
  // The token source's identity decides the rate-limit file: limits belong
  // to a token (or App installation), not to the machine.
  std::string identity;
  if (!shared->settings.token_env.empty()) identity = "env-" + shared->settings.token_env;
  if (!shared->settings.token_file.empty()) identity = "file-" + shared->settings.token_file;
  if (shared->settings.app) {
    identity = "app-" + shared->settings.app->app_id + "-" +
               std::to_string(shared->settings.app->installation_id);
  }
  if (identity.empty()) identity = "anonymous";
  shared->gate = std::make_unique<RateLimitGate>(
      shared->server_folder + "/rate-limit-" + SafeName(identity).substr(0, 40) + "-" +
          Fnv1a(identity) + ".json",
      shared->settings.secondary_rate_limit_min_seconds);
  Result<std::unique_ptr<TokenSource>> tokens =
      MakeTokenSource(&shared->settings, shared->gate.get());
  if (!tokens.ok()) return tokens.status();
  shared->tokens = std::move(tokens).value();
  shared->fetcher = std::make_unique<GitHubFetcher>(&shared->settings, shared->tokens.get());
  return shared;
}

GitHubRepository::GitHubRepository(std::shared_ptr<ProviderShared> shared, RepoName name)
    : shared_(std::move(shared)),
      name_(std::move(name)),
      display_(name_.FullName()),
      api_repo_(shared_->settings.api_base_url + "/repos/" + PercentEncode(name_.owner) + "/" +
                PercentEncode(name_.name)),
      transport_(&shared_->settings, shared_->gate.get()),
      cache_(shared_->server_folder + "/" + SafeName(Lower(name_.owner)) + "/" +
             SafeName(Lower(name_.name)) + "/rest-cache.json"),
      cached_(cache_.Load()),
      content_([this] { return OpenMirror(); }, display_,
               "repository " + display_ + " (no branch on GitHub reaches it)") {}

template <typename Body>
auto GitHubRepository::Guarded(const char* operation, Body&& body) -> decltype(body()) {
  try {
    auto result = body();
    if (result.ok()) return result;
    return shared_->tokens->Scrub(result.status());
  } catch (const std::exception& e) {
    return shared_->tokens->Scrub(
        Status::Internal(std::string("github ") + operation + " of " + display_ + ": " + e.what()));
  } catch (...) {
    return Status::Internal(std::string("github ") + operation + " of " + display_ +
                            ": unknown exception");
  }
}

Result<std::unique_ptr<Repository>> GitHubRepository::Open(std::shared_ptr<ProviderShared> shared,
                                                           const std::string& url) {
  try {
    RepoName name;
    TETHER_RETURN_IF_ERROR(ParseRepoName(url, shared->settings.api_base_url, &name));
    // A token that cannot be read is reported now, not in the middle of a
    // sync (an App's first exchange waits for the first request).
    if (!shared->settings.app) {
      Result<std::string> token = shared->tokens->Token();
      if (!token.ok()) return shared->tokens->Scrub(token.status());
    }
    return std::unique_ptr<Repository>(new GitHubRepository(shared, std::move(name)));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("github Open of '") + url + "': " + e.what());
  } catch (...) {
    return Status::Internal("github Open of '" + url + "': unknown exception");
  }
}

Result<BranchList> GitHubRepository::ListBranches() {
  return Guarded("ListBranches", [&] { return ListBranchesUnguarded(); });
}

Result<CommitId> GitHubRepository::ResolveBranch(const std::string& branch) {
  return Guarded("ResolveBranch", [&] { return ResolveBranchUnguarded(branch); });
}

Result<bool> GitHubRepository::IsAncestor(const CommitId& ancestor, const CommitId& commit) {
  return Guarded("IsAncestor", [&] { return content_.IsAncestor(ancestor, commit); });
}

Status GitHubRepository::Diff(const CommitId& from, const CommitId& to, ChangeSink* sink) {
  // Guarded works on Results; this one carries the Status (a sink's error
  // unchanged) or true.
  Result<bool> done = Guarded("Diff", [&]() -> Result<bool> {
    TETHER_RETURN_IF_ERROR(content_.Diff(from, to, sink));
    return true;
  });
  return done.ok() ? Status::Ok() : done.status();
}

Result<Blob> GitHubRepository::ReadBlob(const BlobId& id, uint64_t max_bytes) {
  return Guarded("ReadBlob", [&] { return content_.ReadBlob(id, max_bytes); });
}

Result<HttpResponse> GitHubRepository::Get(const std::string& url, const std::string& etag,
                                           const std::string& what) {
  TokenSource& tokens = *shared_->tokens;
  for (int attempt = 0;; ++attempt) {
    Result<std::string> token = tokens.Token();
    if (!token.ok()) return token.status();
    HttpRequest request;
    request.url = url;
    Result<HttpResponse> sent =
        transport_.Send(request, token->empty() ? "" : "Bearer " + *token, etag, what);
    if (!sent.ok()) return sent.status();
    if (sent->status == 401) {
      if (!token->empty() && attempt == 0 && tokens.Refused(*token)) continue;  // a new App token
      if (token->empty()) {
        return Status::Unauthenticated(what + ": GitHub asks for credentials (" + Answer(*sent) +
                                       ") and none are configured (set token_env, token_file "
                                       "or app)");
      }
      return Status::Unauthenticated(what + ": GitHub refused " + tokens.Describe() + " (" +
                                     Answer(*sent) + "): it is wrong, expired or revoked");
    }
    if (sent->status == 403) {
      return Status::PermissionDenied(what + ": GitHub refused access (" + Answer(*sent) +
                                      ") to " + tokens.Describe());
    }
    return sent;
  }
}

Status GitHubRepository::RepositoryNotFound(const HttpResponse& response) const {
  return Status::NotFound("repository " + display_ + " not found on " +
                          shared_->settings.api_base_url + " (" + Answer(response) +
                          "): it does not exist, or " + shared_->tokens->Describe() +
                          " cannot see it; nothing was deleted");
}

Result<CachedRepository> GitHubRepository::RepositoryInfo() {
  if (repository_asked_ && cached_.repository) return *cached_.repository;
  std::string url = api_repo_;
  std::string etag = cached_.repository ? cached_.repository->etag : "";
  for (int redirects = 0;; ++redirects) {
    const std::string what = Describe(shared_->settings.api_base_url, url);
    Result<HttpResponse> answer = Get(url, etag, what);
    if (!answer.ok()) return answer.status();
    const HttpResponse& response = *answer;
    if (response.status == 304 && cached_.repository) {
      repository_asked_ = true;
      return *cached_.repository;
    }
    if (response.status == 404) return RepositoryNotFound(response);
    if (response.status == 301 || response.status == 302 || response.status == 307 ||
        response.status == 308) {
      // A renamed or transferred repository: GitHub points at its new home.
      const std::string location = response.Header("location");
      if (redirects >= kMaxRedirects || location.empty() || !transport_.IsApiUrl(location)) {
        return Status::Internal(what + ": GitHub redirected to '" + location +
                                "', which the plugin does not follow");
      }
      url = location;
      etag.clear();
      continue;
    }
    if (response.status != 200) {
      return Status::Internal(what + ": unexpected answer " + Answer(response));
    }
    TETHER_RETURN_IF_ERROR(CheckAnswerDepth(response.body, what));
    rapidjson::Document document;
    document.Parse(response.body.c_str(), response.body.size());
    CachedRepository info;
    if (!document.HasParseError() && document.IsObject()) {
      auto id = document.FindMember("id");
      info.id = id != document.MemberEnd() && id->value.IsInt64() ? id->value.GetInt64() : 0;
      info.full_name = JsonString(document, "full_name");
      info.default_branch = JsonString(document, "default_branch");
      info.clone_url = JsonString(document, "clone_url");
    }
    if (info.clone_url.empty()) {
      return Status::Internal(what + ": the answer has no clone_url");
    }
    info.etag = response.Header("etag");
    cached_.repository = info;
    repository_asked_ = true;
    SaveCache([&](RestCacheData* data) { data->repository = info; });
    return info;
  }
}

Result<BranchList> GitHubRepository::ListBranchesUnguarded() {
  Result<CachedRepository> info = RepositoryInfo();
  if (!info.ok()) return info.status();

  std::vector<CachedPage> pages;
  std::set<std::string> seen;
  std::string url = api_repo_ + "/branches?per_page=100";
  while (!url.empty()) {
    if (!seen.insert(url).second || static_cast<int>(seen.size()) > kMaxPages) {
      return Status::Internal("listing the branches of " + display_ +
                              ": GitHub's pagination links go in circles at '" + url + "'");
    }
    const CachedPage* cached = nullptr;
    for (const CachedPage& page : cached_.pages) {
      if (page.url == url) cached = &page;
    }
    const std::string what = Describe(shared_->settings.api_base_url, url);
    Result<HttpResponse> answer = Get(url, cached != nullptr ? cached->etag : "", what);
    if (!answer.ok()) return answer.status().WithContext("listing the branches of " + display_);
    const HttpResponse& response = *answer;
    if (response.status == 304 && cached != nullptr) {
      pages.push_back(*cached);
      url = cached->next;
      continue;
    }
    if (response.status == 404) return RepositoryNotFound(response);
    if (response.status != 200) {
      return Status::Internal("listing the branches of " + display_ + ": " + what +
                              ": unexpected answer " + Answer(response));
    }
    TETHER_RETURN_IF_ERROR(
        CheckAnswerDepth(response.body, what).WithContext("listing the branches of " + display_));
    rapidjson::Document document;
    document.Parse(response.body.c_str(), response.body.size());
    if (document.HasParseError() || !document.IsArray()) {
      return Status::Internal("listing the branches of " + display_ + ": " + what +
                              " did not answer with a JSON array");
    }
    CachedPage page;
    page.url = url;
    page.etag = response.Header("etag");
    for (const rapidjson::Value& item : document.GetArray()) {
      const std::string name = JsonString(item, "name");
      const std::string sha =
          item.IsObject() && item.HasMember("commit") ? JsonString(item["commit"], "sha") : "";
      if (name.empty() || !git_common::IsFullObjectId(sha)) {
        return Status::Internal("listing the branches of " + display_ + ": " + what +
                                " has an item without a branch name and commit sha");
      }
      page.branches.emplace_back(name, Lower(sha));
    }
    page.next = FindLink(response.Header("link"), "next");
    if (!page.next.empty() && !transport_.IsApiUrl(page.next)) {
      return Status::Internal("listing the branches of " + display_ + ": the next page '" +
                              page.next + "' is outside " + shared_->settings.api_base_url);
    }
    url = page.next;
    pages.push_back(std::move(page));
  }

  BranchList list;
  for (const CachedPage& page : pages) {
    for (const auto& [name, head] : page.branches) {
      Branch branch;
      branch.name = name;
      branch.head = head;
      branch.is_default = name == info->default_branch;
      if (branch.is_default) list.default_branch = name;
      list.branches.push_back(std::move(branch));
    }
  }
  std::sort(list.branches.begin(), list.branches.end(),
            [](const Branch& a, const Branch& b) { return a.name < b.name; });
  cached_.pages = pages;
  SaveCache([&](RestCacheData* data) { data->pages = pages; });
  return list;
}

Result<CommitId> GitHubRepository::ResolveBranchUnguarded(const std::string& branch) {
  if (branch.empty()) return Status::InvalidArgument("branch name is empty");
  const std::string url = api_repo_ + "/branches/" + PercentEncode(branch, "/");
  const std::string what = "GET /repos/" + display_ + "/branches/" + branch;
  auto cached = cached_.branches.find(branch);
  const std::string etag = cached != cached_.branches.end() ? cached->second.etag : "";
  Result<HttpResponse> answer = Get(url, etag, what);
  if (!answer.ok()) return answer.status();
  const HttpResponse& response = *answer;
  if (response.status == 304 && cached != cached_.branches.end()) return cached->second.head;

  if (response.status == 301 || response.status == 302 || response.status == 307 ||
      response.status == 308) {
    // GitHub answers a renamed branch with a redirect to the new one.
    const std::string location = response.Header("location");
    const size_t marker = location.find("/branches/");
    const std::optional<std::string> renamed =
        marker == std::string::npos ? std::nullopt : PercentDecode(location.substr(marker + 10));
    if (!renamed || renamed->empty() || !transport_.IsApiUrl(location)) {
      return Status::Internal(what + ": GitHub redirected to '" + location +
                              "', which is not a branch of " + display_);
    }
    Result<HttpResponse> followed = Get(location, "", Describe(shared_->settings.api_base_url, location));
    if (!followed.ok()) return followed.status();
    rapidjson::Document document;
    if (CheckJsonDepth(followed->body, "").ok()) document.Parse(followed->body.c_str(), followed->body.size());
    const std::string head = followed->status == 200 && !document.HasParseError() &&
                                     document.IsObject() && document.HasMember("commit")
                                 ? JsonString(document["commit"], "sha")
                                 : "";
    return Status::NotFound("branch '" + branch + "' of " + display_ + " was renamed to '" +
                            *renamed + "' on GitHub (" + std::to_string(response.status) +
                            " Moved Permanently" +
                            (head.empty() ? "" : "; its head is now " + Lower(head)) +
                            "): select branch '" + *renamed + "' to follow it; nothing was deleted");
  }
  if (response.status == 404) {
    const std::string message = GitHubMessage(response.body);
    if (Lower(message) == "branch not found") {
      return Status::NotFound("branch '" + branch + "' not found in repository " + display_ +
                              " (" + Answer(response) + "); nothing was deleted");
    }
    return RepositoryNotFound(response);
  }
  if (response.status != 200) {
    return Status::Internal(what + ": unexpected answer " + Answer(response));
  }
  TETHER_RETURN_IF_ERROR(CheckAnswerDepth(response.body, what));
  rapidjson::Document document;
  document.Parse(response.body.c_str(), response.body.size());
  const std::string head = !document.HasParseError() && document.IsObject() &&
                                   document.HasMember("commit")
                               ? Lower(JsonString(document["commit"], "sha"))
                               : "";
  if (!git_common::IsFullObjectId(head)) return Status::Internal(what + ": the answer has no commit sha");
  CachedBranch entry{response.Header("etag"), head};
  if (!entry.etag.empty()) {
    cached_.branches[branch] = entry;
    SaveCache([&](RestCacheData* data) { data->branches[branch] = entry; });
  }
  return head;
}

Result<std::unique_ptr<git_common::Mirror>> GitHubRepository::OpenMirror() {
  std::string clone_url;
  if (cached_.repository) {
    clone_url = cached_.repository->clone_url;
  } else {
    Result<CachedRepository> info = RepositoryInfo();
    if (!info.ok()) return info.status();
    clone_url = info->clone_url;
  }
  const std::string folder = shared_->server_folder + "/" + SafeName(Lower(name_.owner)) + "/" +
                             SafeName(Lower(name_.name));
  return git_common::Mirror::Open(shared_->fetcher.get(), folder, clone_url, display_);
}

void GitHubRepository::SaveCache(const std::function<void(RestCacheData*)>& change) {
  // The cache only saves requests: failing to write it costs quota later,
  // never correctness now.
  cache_.Update(change).ok();
}

}  // namespace github
}  // namespace tether

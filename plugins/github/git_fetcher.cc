#include "git_fetcher.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include "git-common/git_status.h"
#include "http_url.h"
#include "rate_limit.h"
#include "rest_transport.h"

namespace tether {
namespace github {
namespace {

using git_common::GitErrorStatus;
using git_common::RemotePtr;

constexpr char kRemote[] = "origin";

// What the credentials callback works with. libgit2 calls the callback
// again each time the server refuses what it gave; the second call means
// the token was refused, and the callback gives up instead of looping.
struct CredentialState {
  const std::string* token = nullptr;  // "" when no token is configured
  int calls = 0;
  bool gave_up = false;
};

int AcquireCredentials(git_credential** out, const char* /*url*/, const char* /*user*/,
                       unsigned int allowed_types, void* payload) {
  CredentialState* state = static_cast<CredentialState*>(payload);
  ++state->calls;
  if (state->calls > 1 || state->token->empty() ||
      (allowed_types & GIT_CREDENTIAL_USERPASS_PLAINTEXT) == 0) {
    state->gave_up = true;
    git_error_set_str(GIT_ERROR_CALLBACK, "GitHub asked for credentials again");
    return GIT_EAUTH;
  }
  // GitHub takes any user name with the token as the password; this one is
  // what GitHub documents for App installation tokens and works for PATs.
  return git_credential_userpass_plaintext_new(out, "x-access-token", state->token->c_str());
}

// The HTTP status in libgit2's "unexpected http status code: 502", or 0.
int HttpStatusOf(const std::string& message) {
  const std::string marker = "status code: ";
  const size_t at = message.find(marker);
  if (at == std::string::npos) return 0;
  return std::atoi(message.c_str() + at + marker.size());
}

std::string LastGitMessage() {
  const git_error* last = git_error_last();
  return last != nullptr && last->message != nullptr ? last->message : "unknown libgit2 error";
}

int LastGitClass() {
  const git_error* last = git_error_last();
  return last != nullptr ? last->klass : GIT_ERROR_NONE;
}

}  // namespace

GitHubFetcher::GitHubFetcher(const GitHubSettings* settings, TokenSource* tokens)
    : settings_(settings), tokens_(tokens) {}

Status GitHubFetcher::Fetch(git_repository* repo, const std::string& /*git_dir*/,
                            const std::string& url, const std::string& context) {
  const int attempts = settings_->max_retries + 1;
  std::mt19937_64 random(std::random_device{}());
  Status last;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (attempt > 0) {
      int64_t delay = settings_->retry_initial_delay_ms;
      for (int i = 1; i < attempt && delay < settings_->retry_max_delay_ms; ++i) delay *= 2;
      delay = std::min(delay, settings_->retry_max_delay_ms);
      std::uniform_real_distribution<double> factor(0.5, 1.0);
      std::this_thread::sleep_for(
          std::chrono::milliseconds(static_cast<int64_t>(static_cast<double>(delay) * factor(random))));
    }
    bool transient = false;
    last = FetchOnce(repo, url, /*may_renew_token=*/attempt == 0, &transient);
    if (last.ok() || !transient) break;
  }
  if (last.ok()) return last;
  return last.WithContext("git " + context + " from " + url);
}

Status GitHubFetcher::FetchOnce(git_repository* repo, const std::string& url, bool may_renew_token,
                                bool* transient) {
  *transient = false;
  Result<std::string> token = tokens_->Token();
  if (!token.ok()) return token.status();
  git_remote* raw_remote = nullptr;
  const int lookup = git_remote_lookup(&raw_remote, repo, kRemote);
  RemotePtr remote(raw_remote);
  if (lookup < 0) return GitErrorStatus(lookup, "the mirror has no remote 'origin'");

  CredentialState credentials;
  credentials.token = &token.value();
  git_fetch_options options;
  git_fetch_options_init(&options, GIT_FETCH_OPTIONS_VERSION);
  options.callbacks.credentials = &AcquireCredentials;
  options.callbacks.payload = &credentials;
  options.prune = GIT_FETCH_PRUNE;
  options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
  options.update_fetchhead = 0;
  // Like libcurl for REST: the proxy from git's configuration or the
  // environment (https_proxy, ...), when there is one; never for a loopback
  // server (libgit2 1.5 does not read no_proxy).
  HttpUrl clone;
  const bool loopback = ParseHttpUrl(url, "clone_url", &clone).ok() && IsLoopbackHost(clone.host);
  options.proxy_opts.type = loopback ? GIT_PROXY_NONE : GIT_PROXY_AUTO;
  const int error = git_remote_fetch(remote.get(), nullptr, &options, "tether: fetch");
  if (error == 0) return Status::Ok();

  const std::string message = LastGitMessage();
  const int http_status = HttpStatusOf(message);
  if (credentials.gave_up || error == GIT_EAUTH || http_status == 401) {
    if (token->empty()) {
      return Status::Unauthenticated("GitHub asks for credentials and none are configured "
                                     "(set token_env, token_file or app)");
    }
    // An App's installation token revoked before its time is remade and
    // tried once more; a refused personal token is final.
    *transient = tokens_->Refused(*token) && may_renew_token;
    return Status::Unauthenticated("GitHub refused " + tokens_->Describe() +
                                   " (wrong, expired or revoked, or without access)");
  }
  if (http_status == 404) return Status::NotFound("GitHub has no such repository (404)");
  if (http_status == 429) {
    return Status::RateLimited("rate limited until " + FormatUtc(NowSeconds() + 60) +
                                   ": GitHub answered git with 429 Too Many Requests",
                               60);
  }
  if (http_status == 403) {
    return Status::PermissionDenied("GitHub refused access (403): " + message);
  }
  const int klass = LastGitClass();
  if (http_status >= 500 || klass == GIT_ERROR_NET || klass == GIT_ERROR_SSL ||
      (klass == GIT_ERROR_HTTP && http_status == 0)) {
    *transient = true;
    return Status::Unavailable(message);
  }
  return GitErrorStatus(error, "libgit2");
}

}  // namespace github
}  // namespace tether

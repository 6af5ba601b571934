#include "mirror.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <utility>

#include "file_util.h"
#include "git-common/git_status.h"
#include "http_url.h"
#include "rest_transport.h"

namespace tether {
namespace github {
namespace {

using git_common::GitErrorStatus;
using git_common::ReferencePtr;
using git_common::RemotePtr;
using git_common::RepositoryPtr;

constexpr char kRemote[] = "origin";
constexpr char kMirrorRefspec[] = "+refs/heads/*:refs/heads/*";

using ReferenceIteratorPtr =
    git_common::GitPtr<git_reference_iterator, git_reference_iterator_free>;

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

Mirror::Mirror(const GitHubSettings* settings, TokenSource* tokens, std::string folder,
               std::string clone_url, std::string display)
    : settings_(settings), tokens_(tokens), folder_(std::move(folder)),
      clone_url_(std::move(clone_url)), display_(std::move(display)) {}

Result<std::unique_ptr<Mirror>> Mirror::Open(const GitHubSettings* settings, TokenSource* tokens,
                                             const std::string& folder,
                                             const std::string& clone_url,
                                             const std::string& display) {
  std::unique_ptr<Mirror> mirror(new Mirror(settings, tokens, folder, clone_url, display));
  FileLock lock;
  TETHER_RETURN_IF_ERROR(lock.Lock(mirror->lock_file()));
  TETHER_RETURN_IF_ERROR(mirror->OpenLocked());
  return mirror;
}

Status Mirror::OpenLocked() {
  std::error_code error;
  if (std::filesystem::exists(git_dir(), error)) {
    git_repository* raw = nullptr;
    const int opened =
        git_repository_open_ext(&raw, git_dir().c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
    RepositoryPtr repo(raw);
    Status verified = opened < 0 ? GitErrorStatus(opened, "it does not open") : VerifyLocked(repo.get());
    if (verified.ok()) {
      repo_ = std::move(repo);
    } else {
      repo.reset();
      TETHER_RETURN_IF_ERROR(MoveAsideLocked(verified.message()));
    }
  }
  if (repo_ == nullptr) {
    TETHER_RETURN_IF_ERROR(CloneLocked());
    git_repository* raw = nullptr;
    const int opened =
        git_repository_open_ext(&raw, git_dir().c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
    repo_.reset(raw);
    if (opened < 0) {
      return GitErrorStatus(opened, "cannot open the new mirror of " + display_ + " at " + git_dir());
    }
  }
  git_odb* raw_odb = nullptr;
  const int odb_error = git_repository_odb(&raw_odb, repo_.get());
  odb_.reset(raw_odb);
  if (odb_error < 0) {
    return GitErrorStatus(odb_error, "cannot open the objects of the mirror of " + display_);
  }
  return Status::Ok();
}

Status Mirror::VerifyLocked(git_repository* repo) {
  if (!git_repository_is_bare(repo)) return Status::Internal("it is not a bare repository");
  git_remote* raw_remote = nullptr;
  const int remote_error = git_remote_lookup(&raw_remote, repo, kRemote);
  RemotePtr remote(raw_remote);
  if (remote_error < 0) return Status::Internal("it has no remote 'origin'");
  const char* url = git_remote_url(remote.get());
  if (url == nullptr || clone_url_ != url) {
    return Status::Internal("its origin is '" + std::string(url == nullptr ? "" : url) +
                            "', not '" + clone_url_ + "'");
  }
  // Every branch must point at a commit that reads: a truncated pack or a
  // lost object shows up here, before a sync trusts the mirror.
  git_reference_iterator* raw_iterator = nullptr;
  const int iterator_error = git_reference_iterator_glob_new(&raw_iterator, repo, "refs/heads/*");
  ReferenceIteratorPtr iterator(raw_iterator);
  if (iterator_error < 0) return GitErrorStatus(iterator_error, "its branches do not read");
  while (true) {
    git_reference* raw_ref = nullptr;
    const int next = git_reference_next(&raw_ref, iterator.get());
    ReferencePtr ref(raw_ref);
    if (next == GIT_ITEROVER) break;
    if (next < 0) return GitErrorStatus(next, "its branches do not read");
    git_object* raw_commit = nullptr;
    const int peeled = git_reference_peel(&raw_commit, ref.get(), GIT_OBJECT_COMMIT);
    git_common::ObjectPtr commit(raw_commit);
    if (peeled < 0) {
      return GitErrorStatus(peeled, std::string("branch ") + git_reference_name(ref.get()) +
                                        " does not point at a readable commit");
    }
  }
  return Status::Ok();
}

Status Mirror::MoveAsideLocked(const std::string& why) {
  const std::string aside = git_dir() + ".corrupt-" + std::to_string(NowSeconds());
  std::error_code error;
  std::filesystem::rename(git_dir(), aside, error);
  if (error) {
    return Status::Internal("the mirror of " + display_ + " at " + git_dir() + " is unusable (" +
                            why + ") and cannot be moved aside: " + error.message());
  }
  return Status::Ok();
}

Status Mirror::CloneLocked() {
  TETHER_RETURN_IF_ERROR(MakeDirectories(folder_));
  static std::atomic<unsigned> counter{0};
  const std::string temporary = git_dir() + ".new-" + std::to_string(getpid()) + "-" +
                                std::to_string(counter.fetch_add(1));
  std::error_code error;
  // Under the lock no other clone runs: a "mirror.git.new-*" left here is
  // what a crashed clone left behind.
  for (const auto& entry : std::filesystem::directory_iterator(folder_, error)) {
    if (entry.path().filename().string().rfind("mirror.git.new-", 0) == 0) {
      std::error_code ignored;
      std::filesystem::remove_all(entry.path(), ignored);
    }
  }

  git_repository* raw = nullptr;
  const int init_error = git_repository_init(&raw, temporary.c_str(), /*is_bare=*/1);
  RepositoryPtr repo(raw);
  if (init_error < 0) {
    return GitErrorStatus(init_error, "cannot create a mirror of " + display_ + " at " + temporary);
  }
  git_remote* raw_remote = nullptr;
  const int remote_error = git_remote_create_with_fetchspec(&raw_remote, repo.get(), kRemote,
                                                            clone_url_.c_str(), kMirrorRefspec);
  RemotePtr remote(raw_remote);
  if (remote_error < 0) {
    repo.reset();
    std::filesystem::remove_all(temporary, error);
    return GitErrorStatus(remote_error, "cannot set up the mirror of " + display_);
  }
  remote.reset();
  Status fetched = FetchInto(repo.get(), "clone");
  repo.reset();
  if (!fetched.ok()) {
    std::filesystem::remove_all(temporary, error);
    return fetched;
  }
  std::filesystem::rename(temporary, git_dir(), error);
  if (error) {
    std::filesystem::remove_all(temporary, error);
    return Status::Internal("cannot move the new mirror of " + display_ + " into place at " +
                            git_dir() + ": " + error.message());
  }
  return Status::Ok();
}

Status Mirror::Fetch(const std::string& wanted) {
  FileLock lock;
  TETHER_RETURN_IF_ERROR(lock.Lock(lock_file()));
  if (!wanted.empty()) {
    // Someone else may have fetched while this thread waited for the lock.
    git_oid oid;
    if (git_oid_fromstrn(&oid, wanted.data(), wanted.size()) == 0) {
      git_odb_refresh(odb_.get());
      if (git_odb_exists(odb_.get(), &oid) == 1) return Status::Ok();
    }
  }
  TETHER_RETURN_IF_ERROR(FetchInto(repo_.get(), "fetch"));
  git_odb_refresh(odb_.get());
  return Status::Ok();
}

Status Mirror::FetchInto(git_repository* repo, const std::string& context) {
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
    last = FetchOnce(repo, /*may_renew_token=*/attempt == 0, &transient);
    if (last.ok() || !transient) break;
  }
  if (last.ok()) return last;
  return last.WithContext("git " + context + " of " + display_ + " from " + clone_url_);
}

Status Mirror::FetchOnce(git_repository* repo, bool may_renew_token, bool* transient) {
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
  const bool loopback = ParseHttpUrl(clone_url_, "clone_url", &clone).ok() && IsLoopbackHost(clone.host);
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

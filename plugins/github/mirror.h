// Mirror: the bare git mirror of one GitHub repository in the cache folder,
// where the content of every sync is read from (the same tree walk and blob
// reads as local-git, through git-common).
//
// Layout: <folder>/mirror.git (the bare repository, refs/heads/* mirrored
// from GitHub) and <folder>/fetch.lock. A first use clones the repository
// into a temporary directory and renames it into place, so a crash never
// leaves a half-made mirror. Every Open verifies the mirror before use: it
// opens as a bare repository, its "origin" is the expected clone URL, and
// every branch's commit reads. A mirror failing that is moved aside (to
// mirror.git.corrupt-<time>, kept for inspection) and cloned again.
//
// Fetching (over HTTP(S) with libgit2; the token goes through a credentials
// callback that answers once and gives up when the server asks again) is
// serialized per mirror by an exclusive lock on fetch.lock, across threads
// and processes, and so are cloning and verification. Readers need no lock:
// git writes new packs beside the old ones and renames them into place.
//
// Ownership: a Mirror owns its git_repository and git_odb; the settings and
// the token source are borrowed and must outlive it.
// Thread safety: one thread at a time per Mirror; several Mirror objects on
// the same folder may be used concurrently.
// Errors: Unauthenticated when GitHub refuses the credentials, NotFound
// when it has no such repository, RateLimited on a 429, Unavailable for
// network and server errors that outlived the retries, DataLoss never
// (a bad mirror is recloned), Internal for the rest. Messages name the
// repository, never a token.
#ifndef TETHER_PLUGINS_GITHUB_MIRROR_H_
#define TETHER_PLUGINS_GITHUB_MIRROR_H_

#include <memory>
#include <string>

#include "credentials.h"
#include "git-common/git_handles.h"
#include "settings.h"
#include "tether/status.h"

namespace tether {
namespace github {

class Mirror {
 public:
  // Opens (cloning or recloning as needed) the mirror in `folder` of
  // `clone_url`. `display` names the repository in messages ("owner/name").
  static Result<std::unique_ptr<Mirror>> Open(const GitHubSettings* settings, TokenSource* tokens,
                                              const std::string& folder,
                                              const std::string& clone_url,
                                              const std::string& display);

  git_repository* repo() const { return repo_.get(); }
  git_odb* odb() const { return odb_.get(); }

  // Fetches every branch from GitHub. When `wanted` (a commit id) is given
  // and another process or thread fetched it while this one waited for the
  // lock, nothing is fetched.
  Status Fetch(const std::string& wanted);

 private:
  Mirror(const GitHubSettings* settings, TokenSource* tokens, std::string folder,
         std::string clone_url, std::string display);

  std::string git_dir() const { return folder_ + "/mirror.git"; }
  std::string lock_file() const { return folder_ + "/fetch.lock"; }

  // Under the lock: makes the mirror usable and opens it into repo_/odb_.
  Status OpenLocked();
  Status VerifyLocked(git_repository* repo);
  Status CloneLocked();
  Status MoveAsideLocked(const std::string& why);
  // Fetches into `repo` with retries; the caller holds the lock.
  Status FetchInto(git_repository* repo, const std::string& context);
  // One fetch. Sets *transient when another try may succeed (a server or
  // network error; a refused App token when `may_renew_token`).
  Status FetchOnce(git_repository* repo, bool may_renew_token, bool* transient);

  const GitHubSettings* const settings_;  // not owned
  TokenSource* const tokens_;             // not owned
  const std::string folder_;
  const std::string clone_url_;
  const std::string display_;
  git_common::RepositoryPtr repo_;
  git_common::OdbPtr odb_;
};

}  // namespace github
}  // namespace tether

#endif  // TETHER_PLUGINS_GITHUB_MIRROR_H_

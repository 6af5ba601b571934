// Mirror: the bare git mirror of one remote repository in a provider's
// cache folder, where the content of every sync is read from (the tree walk
// and blob reads of object_reader.h). The github and git-remote providers
// keep their remotes' content this way; how a fetch talks to the server is
// each provider's own (MirrorFetcher).
//
// Layout: <folder>/mirror.git (the bare repository, refs/heads/* mirrored
// from the remote "origin") and <folder>/fetch.lock. A first use clones the
// repository into a temporary directory and renames it into place, so a
// crash never leaves a half-made mirror. Every Open verifies the mirror
// before use: it opens as a bare repository, its "origin" is the expected
// URL, and every branch's commit reads. A mirror failing that is moved
// aside (to mirror.git.corrupt-<time>, kept for inspection) and cloned
// again.
//
// Fetching is serialized per mirror by an exclusive lock on fetch.lock,
// across threads and processes, and so are cloning and verification.
// Readers need no lock: git writes new packs beside the old ones and renames
// them into place. Nothing here ever prunes objects: a commit fetched once
// stays readable after a force push moved its branch away.
//
// Ownership: a Mirror owns its git_repository and git_odb; the fetcher is
// borrowed and must outlive it.
// Thread safety: one thread at a time per Mirror; several Mirror objects on
// the same folder may be used concurrently.
// Errors: the fetcher's, with the context of the clone or fetch; Internal
// for a mirror that can be neither used nor moved aside. A bad mirror is
// recloned, never reported as DataLoss. Messages name the repository by
// the `display` name given, never a credential.
#ifndef TETHER_PLUGINS_GIT_COMMON_MIRROR_H_
#define TETHER_PLUGINS_GIT_COMMON_MIRROR_H_

#include <memory>
#include <string>

#include "git-common/git_handles.h"
#include "tether/status.h"

namespace tether {
namespace git_common {

// How a provider brings a remote's branches into a mirror.
// Thread safety: called under the mirror's lock, from whichever thread
// holds it; a fetcher shared by several mirrors must be safe for that.
class MirrorFetcher {
 public:
  virtual ~MirrorFetcher() = default;

  // Fetches every branch of remote "origin" (`url`) into the bare
  // repository `repo` at `git_dir`, as +refs/heads/*:refs/heads/* with
  // deleted branches pruned and no tags. `context` ("clone of <display>",
  // "fetch of <display>") is for messages. The errors of provider.h for remote providers
  // (Unauthenticated, PermissionDenied, NotFound, RateLimited, Unavailable).
  virtual Status Fetch(git_repository* repo, const std::string& git_dir, const std::string& url,
                       const std::string& context) = 0;
};

class Mirror {
 public:
  // Opens (cloning or recloning as needed) the mirror in `folder` of `url`.
  // `display` names the repository in messages.
  static Result<std::unique_ptr<Mirror>> Open(MirrorFetcher* fetcher, const std::string& folder,
                                              const std::string& url, const std::string& display);

  git_repository* repo() const { return repo_.get(); }
  git_odb* odb() const { return odb_.get(); }

  // Fetches every branch. When `wanted` (a commit id) is given and another
  // process or thread fetched it while this one waited for the lock,
  // nothing is fetched.
  Status Fetch(const std::string& wanted);

 private:
  Mirror(MirrorFetcher* fetcher, std::string folder, std::string url, std::string display);

  std::string git_dir() const { return folder_ + "/mirror.git"; }
  std::string lock_file() const { return folder_ + "/fetch.lock"; }

  // Under the lock: makes the mirror usable and opens it into repo_/odb_.
  Status OpenLocked();
  Status VerifyLocked(git_repository* repo);
  Status CloneLocked();
  Status MoveAsideLocked(const std::string& why);

  MirrorFetcher* const fetcher_;  // not owned
  const std::string folder_;
  const std::string url_;
  const std::string display_;
  RepositoryPtr repo_;
  OdbPtr odb_;
};

}  // namespace git_common
}  // namespace tether

#endif  // TETHER_PLUGINS_GIT_COMMON_MIRROR_H_

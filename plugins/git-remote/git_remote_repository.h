// GitRemoteRepository: a tether::Repository over any git remote.
//
// Branches come from the remote itself (git ls-remote, git_cli.h) at every
// ListBranches and ResolveBranch: one round trip that sends no objects.
// Content comes from a bare mirror in the cache folder (git-common's
// mirror.h: <cache_dir>/<host>/<name>-<hash of the URL>/mirror.git),
// fetched only when a commit asked for is not in it yet, then read exactly
// like local-git and github (git-common's tree walk diff, exact renames,
// blob reads). Nothing is pruned from the mirror's objects, so the commit a
// project last synced stays readable after a force push.
//
// Ownership: the object owns its mirror handles; it shares the provider's
// settings and git runner (Shared) and keeps them alive.
// Thread safety: as provider.h says, one thread at a time per object;
// separate objects, on one URL too, may be used concurrently (fetches into
// one mirror are serialized across threads and processes).
// Errors: as provider.h and git_cli.h say. No exception escapes a method.
#ifndef TETHER_PLUGINS_GIT_REMOTE_GIT_REMOTE_REPOSITORY_H_
#define TETHER_PLUGINS_GIT_REMOTE_GIT_REMOTE_REPOSITORY_H_

#include <memory>
#include <string>

#include "git-common/mirror.h"
#include "git-common/mirror_reader.h"
#include "git_cli.h"
#include "remote_url.h"
#include "settings.h"
#include "tether/provider.h"

namespace tether {
namespace git_remote {

// What every repository of one provider shares; immutable once made.
struct Shared {
  GitRemoteSettings settings;
  std::unique_ptr<GitCli> cli;  // uses settings
};

class GitRemoteRepository final : public Repository {
 public:
  // Checks `url` against the settings; runs nothing.
  static Result<std::unique_ptr<Repository>> Open(std::shared_ptr<const Shared> shared, const std::string& url);

  GitRemoteRepository(const GitRemoteRepository&) = delete;
  GitRemoteRepository& operator=(const GitRemoteRepository&) = delete;

  Result<BranchList> ListBranches() override;
  Result<CommitId> ResolveBranch(const std::string& branch) override;
  Result<bool> IsAncestor(const CommitId& ancestor, const CommitId& commit) override;
  Status Diff(const CommitId& from, const CommitId& to, ChangeSink* sink) override;
  Result<Blob> ReadBlob(const BlobId& id, uint64_t max_bytes) override;

 private:
  GitRemoteRepository(std::shared_ptr<const Shared> shared, RemoteUrl url);

  template <typename Body>
  auto Guarded(const char* operation, Body&& body) -> decltype(body());

  const std::shared_ptr<const Shared> shared_;
  const RemoteUrl url_;
  git_common::MirrorReader content_;  // the mirror, opened at the first read
};

}  // namespace git_remote
}  // namespace tether

#endif  // TETHER_PLUGINS_GIT_REMOTE_GIT_REMOTE_REPOSITORY_H_

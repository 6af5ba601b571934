// LocalGitRepository: a tether::Repository over a git repository on the
// local filesystem, read through libgit2. It lives in local-git's libgit2
// half (libgit2_half.h); the plugin reaches it through LazyRepository.
//
// Ownership: the object owns its git_repository and git_odb handles and
// frees them when destroyed. It never writes to the repository.
//
// Thread safety: as provider.h says, one thread at a time per object;
// separate objects (each with its own git_repository) may be used
// concurrently.
//
// Errors: see each method in provider.h. Messages name the repository URL
// and the branch or id concerned. Every method catches all exceptions and
// returns them as Internal.
#ifndef TETHER_PLUGINS_LOCAL_GIT_LOCAL_GIT_REPOSITORY_H_
#define TETHER_PLUGINS_LOCAL_GIT_LOCAL_GIT_REPOSITORY_H_

#include <memory>
#include <string>

#include "allowed_roots.h"
#include "git-common/git_handles.h"
#include "git-common/object_reader.h"
#include "tether/provider.h"

namespace tether {
namespace local_git {

class LocalGitRepository final : public Repository {
 public:
  // Opens the repository at `path`, the local path of `url` (repo_url.h),
  // already resolved against `roots` and checked to be a directory
  // (LazyRepository does both), bare or not. Only that directory (or its
  // .git) is tried; parents are not searched. NotFound when it holds no
  // git repository, PermissionDenied when the repository is not ours, or
  // with `roots` (not owned; may be null) when its git directory is outside
  // them (a ".git" file may point elsewhere).
  static Result<std::unique_ptr<Repository>> Open(const std::string& url, const std::string& path,
                                                  const AllowedRoots* roots);

  LocalGitRepository(const LocalGitRepository&) = delete;
  LocalGitRepository& operator=(const LocalGitRepository&) = delete;

  Result<BranchList> ListBranches() override;
  Result<CommitId> ResolveBranch(const std::string& branch) override;
  Result<bool> IsAncestor(const CommitId& ancestor, const CommitId& commit) override;
  Status Diff(const CommitId& from, const CommitId& to, ChangeSink* sink) override;
  Result<Blob> ReadBlob(const BlobId& id, uint64_t max_bytes) override;
  // ResolveBranch(branch) == commit, false on any error.
  bool BranchIsAt(const std::string& branch, const CommitId& commit) override;

 private:
  LocalGitRepository(std::string url, git_common::RepositoryPtr repo, git_common::OdbPtr odb);

  Result<BranchList> ListBranchesUnguarded();
  Result<CommitId> ResolveBranchUnguarded(const std::string& branch);

  // The commit `ref` (a branch) points at, peeled through tags.
  Result<CommitId> BranchHead(git_reference* ref, const std::string& branch);
  // The branch HEAD names, or "" when HEAD is detached or not a branch.
  std::string HeadBranchName();

  const std::string url_;     // as the caller gave it; used in messages
  const git_common::RepositoryPtr repo_;  // owned
  const git_common::OdbPtr odb_;          // owned reference to repo_'s object database
  // Commits, trees and blobs: the code shared with the github provider.
  git_common::GitObjectReader reader_;
};

}  // namespace local_git
}  // namespace tether

#endif  // TETHER_PLUGINS_LOCAL_GIT_LOCAL_GIT_REPOSITORY_H_

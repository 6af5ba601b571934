// LocalGitRepository: a tether::Repository over a git repository on the
// local filesystem, read through libgit2.
//
// Ownership: the object owns its git_repository and git_odb handles and
// frees them when destroyed. It never writes to the repository.
//
// libgit2 is started and the repository opened at the first method that
// needs them, when Open found a plain layout (plain_refs.h): BranchIsAt
// reads a ref file and needs neither, so that a no-op sync does not pay
// libgit2's initialisation. For any other layout Open opens it at once.
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
#include <optional>
#include <string>

#include "allowed_roots.h"
#include "git-common/git_handles.h"
#include "git-common/object_reader.h"
#include "tether/provider.h"

namespace tether {
namespace local_git {

class LocalGitRepository final : public Repository {
 public:
  // Opens the repository `url` designates (see repo_url.h), bare or not.
  // Only that directory (or its .git) is tried; parents are not searched.
  // NotFound when the path does not exist or holds no git repository,
  // InvalidArgument for a URL local-git cannot use or a path that is not a
  // directory, PermissionDenied when the path or repository is not ours.
  // With `roots` (not owned; may be null), the path is resolved first and
  // must be inside them, and so must the repository's git directory (a
  // ".git" file may point elsewhere): PermissionDenied naming the roots
  // otherwise, whether or not the path exists.
  static Result<std::unique_ptr<Repository>> Open(const std::string& url,
                                                  const AllowedRoots* roots = nullptr);

  LocalGitRepository(const LocalGitRepository&) = delete;
  LocalGitRepository& operator=(const LocalGitRepository&) = delete;

  Result<BranchList> ListBranches() override;
  Result<CommitId> ResolveBranch(const std::string& branch) override;
  Result<bool> IsAncestor(const CommitId& ancestor, const CommitId& commit) override;
  Status Diff(const CommitId& from, const CommitId& to, ChangeSink* sink) override;
  Result<Blob> ReadBlob(const BlobId& id, uint64_t max_bytes) override;
  bool BranchIsAt(const std::string& branch, const CommitId& commit) override;

 private:
  // The libgit2 side, once opened.
  struct Git {
    git_common::RepositoryPtr repo;
    git_common::OdbPtr odb;
    // Commits, trees and blobs: the code shared with the github provider.
    git_common::GitObjectReader reader;
  };

  LocalGitRepository(std::string url, std::string path, std::string plain_git_dir,
                     std::optional<AllowedRoots> roots);

  // Starts libgit2 and opens the repository, once; the errors Open
  // documents.
  Status OpenGit();

  Result<BranchList> ListBranchesUnguarded();
  Result<CommitId> ResolveBranchUnguarded(const std::string& branch);

  // The commit `ref` (a branch) points at, peeled through tags.
  Result<CommitId> BranchHead(git_reference* ref, const std::string& branch);
  // The branch HEAD names, or "" when HEAD is detached or not a branch.
  std::string HeadBranchName();

  const std::string url_;             // as the caller gave it; used in messages
  const std::string path_;            // the checked local path
  const std::string plain_git_dir_;   // PlainGitDir(path_), "" when not plain
  const std::optional<AllowedRoots> roots_;  // a copy of the provider's
  std::unique_ptr<Git> git_;          // null until OpenGit
};

}  // namespace local_git
}  // namespace tether

#endif  // TETHER_PLUGINS_LOCAL_GIT_LOCAL_GIT_REPOSITORY_H_

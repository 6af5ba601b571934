// GitObjectReader: the read side of a tether::Repository over a libgit2
// repository (IsAncestor, Diff, ReadBlob), shared by local-git and github so
// that both answer exactly alike.
//
// Ownership: borrows the git_repository and git_odb; the caller owns them
// and keeps them alive for as long as the reader is used.
//
// Thread safety: one thread at a time, like the Repository that owns the
// handles.
//
// Errors: as provider.h says for the matching Repository methods. Messages
// name the repository as "repository '<name>'" or "'<name>'", where <name>
// is what the constructor was given (a path or URL, "owner/name"...).
// Nothing here catches exceptions: the calling Repository's guard does.
#ifndef TETHER_PLUGINS_GIT_COMMON_OBJECT_READER_H_
#define TETHER_PLUGINS_GIT_COMMON_OBJECT_READER_H_

#include <git2.h>

#include <cstdint>
#include <string>
#include <utility>

#include "git-common/git_handles.h"
#include "tether/status.h"
#include "tether/types.h"

namespace tether {
namespace git_common {

class GitObjectReader {
 public:
  GitObjectReader(git_repository* repo, git_odb* odb, std::string name)
      : repo_(repo), odb_(odb), name_(std::move(name)) {}

  // Repository::IsAncestor: NotFound when `commit` is not in the repository;
  // false when `ancestor` is unknown or not a commit. Walks back from
  // `commit` newest first and stops at `ancestor`, so that its cost follows
  // the commits since `ancestor`; only when the dates disagree (a commit
  // dated more than a day before `ancestor` reached first, or no ancestor
  // at all) does it ask libgit2's merge base, whose cost follows the shape
  // of the whole history.
  Result<bool> IsAncestor(const CommitId& ancestor, const CommitId& commit);

  // Repository::Diff through DiffTrees (tree_diff.h).
  Status Diff(const CommitId& from, const CommitId& to, ChangeSink* sink);

  // Repository::ReadBlob: the size from the object header, the bytes only
  // when the blob is at most `max_bytes` long.
  Result<Blob> ReadBlob(const BlobId& id, uint64_t max_bytes);

  // Whether the object database holds object `id` (any type). An id that
  // does not parse is InvalidArgument naming `what`.
  Result<bool> Contains(const std::string& id, const char* what);

  // The root tree of commit `id`; NotFound naming `what` and `id` when the
  // repository has no such commit, DataLoss when its tree is missing.
  Status LoadCommitTree(const CommitId& id, const char* what, TreePtr* tree);

 private:
  git_repository* const repo_;  // not owned
  git_odb* const odb_;          // not owned
  const std::string name_;      // for messages
};

}  // namespace git_common
}  // namespace tether

#endif  // TETHER_PLUGINS_GIT_COMMON_OBJECT_READER_H_

// Provider: where synced content comes from (a local git repository, GitHub).
//
// The host calls Provider::Open once per sync to get a Repository for one
// project's repository URL, uses it from one thread, and destroys it at the
// end of the sync.
//
// Thread safety: Provider::Open may be called from several threads at once.
// A Repository is used by one thread at a time; separate Repository objects
// may be used concurrently.
//
// Errors: NotFound for a missing repository, branch, commit or blob;
// InvalidArgument for a URL the provider cannot use; Unauthenticated,
// PermissionDenied, RateLimited and Unavailable for remote providers;
// Internal for anything else. A method that fails has no effect.
#ifndef TETHER_PROVIDER_H_
#define TETHER_PROVIDER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "tether/plugin.h"
#include "tether/status.h"
#include "tether/types.h"

namespace tether {

class Repository {
 public:
  virtual ~Repository() = default;

  // Every branch with its head, and the default branch (HEAD's target).
  virtual Result<BranchList> ListBranches() = 0;

  // The commit `branch` points at now. NotFound when the branch is gone.
  virtual Result<CommitId> ResolveBranch(const std::string& branch) = 0;

  // Whether `commit` exists in the repository and `ancestor` is reachable
  // from it (a commit is its own ancestor). False, not an error, when
  // `ancestor` is unknown to the repository (for example after a force push
  // and garbage collection).
  virtual Result<bool> IsAncestor(const CommitId& ancestor, const CommitId& commit) = 0;

  // Streams the changes from commit `from` to commit `to` into `sink`. An
  // empty `from` means "from nothing": every entry of `to` comes as kAdded.
  // Equal subtrees are skipped, so the cost follows the size of the change.
  // Exact renames (same blob, new path) come as kRenamed. Sink errors stop
  // the diff and are returned as they are.
  virtual Status Diff(const CommitId& from, const CommitId& to, ChangeSink* sink) = 0;

  // Reads blob `id`. Its bytes are returned when the blob is at most
  // `max_bytes` long; otherwise only its size (Blob::truncated is set).
  virtual Result<Blob> ReadBlob(const BlobId& id, uint64_t max_bytes) = 0;
};

class Provider : public Plugin {
 public:
  Provider* AsProvider() override { return this; }

  // Opens the repository at `repo_url` (a path, a file:// URL, or whatever
  // the provider documents). The caller owns the result.
  virtual Result<std::unique_ptr<Repository>> Open(const std::string& repo_url) = 0;

  // Since SDK ABI 1.1. The form of `repo_url` to store for a new project, so
  // that it means the same thing to every later run, whatever its working
  // directory. `working_directory` is the absolute directory the user typed
  // `repo_url` in (the CLI's), or "" when there is none (the HTTP API: the
  // server's working directory means nothing to a client). A provider of
  // local paths makes a relative path absolute against it, and refuses one
  // with InvalidArgument when it is "". Called when a project is added,
  // before Open. The default keeps `repo_url` as it is.
  //
  // The host calls this only on plugins built with ABI minor >= 1 (older
  // ones do not have it in their vtable).
  virtual Result<std::string> CanonicalRepoUrl(const std::string& repo_url,
                                               const std::string& working_directory) {
    (void)working_directory;
    return repo_url;
  }
};

}  // namespace tether

#endif  // TETHER_PROVIDER_H_

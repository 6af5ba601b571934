#include "local_git_repository.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <exception>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "git-common/git_status.h"
#include "libgit2_half.h"
#include "repo_url.h"

namespace tether {
namespace local_git {

using git_common::EnsureLibgit2Initialized;
using git_common::GitErrorStatus;
using git_common::FormatObjectId;
using git_common::BranchIteratorPtr;
using git_common::ObjectPtr;
using git_common::OdbPtr;
using git_common::ReferencePtr;
using git_common::RepositoryPtr;

namespace {

constexpr char kHeadsPrefix[] = "refs/heads/";
constexpr size_t kHeadsPrefixLength = sizeof(kHeadsPrefix) - 1;

// Runs `body` and turns any exception into Internal, so that nothing throws
// across the plugin boundary. `body` returns a Status or a Result.
template <typename Body>
auto Guarded(const char* operation, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const std::exception& e) {
    return Status::Internal(std::string("local-git ") + operation + ": " + e.what());
  } catch (...) {
    return Status::Internal(std::string("local-git ") + operation + ": unknown exception");
  }
}

// The owner of the git directory at `path` (its .git, or the directory
// itself when bare) when that is not the user this process runs as; -1 when
// it is, or when `path` holds no git directory.
long long ForeignOwner(const std::string& path) {
  for (const std::string& candidate : {path + "/.git", path + "/HEAD"}) {
    struct stat info;
    if (lstat(candidate.c_str(), &info) != 0) continue;
    struct stat dir;
    if (stat(path.c_str(), &dir) != 0) return -1;
    const uid_t owner = S_ISDIR(info.st_mode) ? info.st_uid : dir.st_uid;
    return owner == geteuid() ? -1 : static_cast<long long>(owner);
  }
  return -1;
}

}  // namespace

LocalGitRepository::LocalGitRepository(std::string url, RepositoryPtr repo, OdbPtr odb)
    : url_(std::move(url)),
      repo_(std::move(repo)),
      odb_(std::move(odb)),
      reader_(repo_.get(), odb_.get(), url_) {}

Result<std::unique_ptr<Repository>> LocalGitRepository::Open(const std::string& url, const std::string& path,
                                                             const AllowedRoots* roots) {
  return Guarded("Open", [&]() -> Result<std::unique_ptr<Repository>> {
    EnsureLibgit2Initialized();
    git_repository* raw_repo = nullptr;
    const int error =
        git_repository_open_ext(&raw_repo, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
    RepositoryPtr repo(raw_repo);
    if (error == GIT_ENOTFOUND) {
      // libgit2, as git, refuses a repository another user owns unless
      // git's safe.directory lists it, and 1.5 says "not found" then.
      const long long owner = ForeignOwner(path);
      if (owner >= 0) {
        return Status::PermissionDenied(
            "repository " + DescribeRepository(url, path) + " belongs to user id " + std::to_string(owner) +
            ", not to the user tether runs as (" + std::to_string(geteuid()) +
            "), and git refuses such repositories: give it to that user, or list it in that user's git "
            "config with: git config --global --add safe.directory " + path);
      }
      return Status::NotFound("repository " + DescribeRepository(url, path) +
                              " not found: the directory is not a git repository");
    }
    if (error < 0) return GitErrorStatus(error, "cannot open repository " + DescribeRepository(url, path));
    if (roots != nullptr) {
      const char* git_dir = git_repository_path(repo.get());
      const char* common_dir = git_repository_commondir(repo.get());
      if ((git_dir != nullptr && !roots->Contains(git_dir)) ||
          (common_dir != nullptr && !roots->Contains(common_dir))) {
        return Status::PermissionDenied("repository '" + url +
                                        "' keeps its git directory outside the directories local-git may "
                                        "open (allowed_roots: " + roots->Describe() + ")");
      }
    }

    git_odb* raw_odb = nullptr;
    const int odb_error = git_repository_odb(&raw_odb, repo.get());
    OdbPtr odb(raw_odb);
    if (odb_error < 0) {
      return GitErrorStatus(odb_error,
                            "cannot open the objects of repository " + DescribeRepository(url, path));
    }
    return std::unique_ptr<Repository>(
        new LocalGitRepository(url, std::move(repo), std::move(odb)));
  });
}

Result<BranchList> LocalGitRepository::ListBranches() {
  return Guarded("ListBranches", [&] { return ListBranchesUnguarded(); });
}

Result<CommitId> LocalGitRepository::ResolveBranch(const std::string& branch) {
  return Guarded("ResolveBranch", [&] { return ResolveBranchUnguarded(branch); });
}

Result<bool> LocalGitRepository::IsAncestor(const CommitId& ancestor, const CommitId& commit) {
  return Guarded("IsAncestor", [&] { return reader_.IsAncestor(ancestor, commit); });
}

Status LocalGitRepository::Diff(const CommitId& from, const CommitId& to, ChangeSink* sink) {
  return Guarded("Diff", [&] { return reader_.Diff(from, to, sink); });
}

Result<Blob> LocalGitRepository::ReadBlob(const BlobId& id, uint64_t max_bytes) {
  return Guarded("ReadBlob", [&] { return reader_.ReadBlob(id, max_bytes); });
}

bool LocalGitRepository::BranchIsAt(const std::string& branch, const CommitId& commit) {
  Result<CommitId> head = ResolveBranch(branch);
  return head.ok() && *head == commit;
}

Result<BranchList> LocalGitRepository::ListBranchesUnguarded() {
  git_branch_iterator* raw_iterator = nullptr;
  const int error = git_branch_iterator_new(&raw_iterator, repo_.get(), GIT_BRANCH_LOCAL);
  BranchIteratorPtr iterator(raw_iterator);
  if (error < 0) return GitErrorStatus(error, "cannot list branches of '" + url_ + "'");

  BranchList list;
  while (true) {
    git_reference* raw_ref = nullptr;
    git_branch_t type = GIT_BRANCH_LOCAL;
    const int next = git_branch_next(&raw_ref, &type, iterator.get());
    ReferencePtr ref(raw_ref);
    if (next == GIT_ITEROVER) break;
    if (next < 0) return GitErrorStatus(next, "cannot list branches of '" + url_ + "'");

    const std::string full_name = git_reference_name(ref.get());
    if (full_name.compare(0, kHeadsPrefixLength, kHeadsPrefix) != 0) continue;
    Branch branch;
    branch.name = full_name.substr(kHeadsPrefixLength);
    Result<CommitId> head = BranchHead(ref.get(), branch.name);
    if (!head.ok()) return head.status();
    branch.head = std::move(head).value();
    list.branches.push_back(std::move(branch));
  }
  std::sort(list.branches.begin(), list.branches.end(),
            [](const Branch& a, const Branch& b) { return a.name < b.name; });

  const std::string head_branch = HeadBranchName();
  for (Branch& branch : list.branches) {
    if (branch.name != head_branch) continue;
    branch.is_default = true;
    list.default_branch = head_branch;  // stays empty when HEAD's branch is unborn
  }
  return list;
}

std::string LocalGitRepository::HeadBranchName() {
  git_reference* raw_head = nullptr;
  const int error = git_reference_lookup(&raw_head, repo_.get(), "HEAD");
  ReferencePtr head(raw_head);
  if (error < 0 || git_reference_type(head.get()) != GIT_REFERENCE_SYMBOLIC) return "";
  const std::string target = git_reference_symbolic_target(head.get());
  if (target.compare(0, kHeadsPrefixLength, kHeadsPrefix) != 0) return "";
  return target.substr(kHeadsPrefixLength);
}

Result<CommitId> LocalGitRepository::ResolveBranchUnguarded(const std::string& branch) {
  if (branch.empty()) return Status::InvalidArgument("branch name is empty");
  git_reference* raw_ref = nullptr;
  const int error = git_branch_lookup(&raw_ref, repo_.get(), branch.c_str(), GIT_BRANCH_LOCAL);
  ReferencePtr ref(raw_ref);
  if (error == GIT_ENOTFOUND) {
    return Status::NotFound("branch '" + branch + "' not found in repository '" + url_ + "'");
  }
  if (error == GIT_EINVALIDSPEC) {
    return Status::InvalidArgument("'" + branch + "' is not a valid branch name");
  }
  if (error < 0) {
    return GitErrorStatus(error, "cannot look up branch '" + branch + "' in '" + url_ + "'");
  }
  return BranchHead(ref.get(), branch);
}

Result<CommitId> LocalGitRepository::BranchHead(git_reference* ref, const std::string& branch) {
  git_object* raw_commit = nullptr;
  const int error = git_reference_peel(&raw_commit, ref, GIT_OBJECT_COMMIT);
  ObjectPtr commit(raw_commit);
  if (error < 0) {
    return GitErrorStatus(
        error, "branch '" + branch + "' of '" + url_ + "' does not point at a readable commit");
  }
  return FormatObjectId(*git_object_id(commit.get()));
}

}  // namespace local_git
}  // namespace tether

// The half's entry point (libgit2_half.h).
extern "C" __attribute__((visibility("default"))) void tether_local_git_libgit2_open(
    const std::string* url, const std::string* path, const tether::local_git::AllowedRoots* roots,
    tether::Result<std::unique_ptr<tether::Repository>>* out) {
  static_assert(std::is_same_v<decltype(&tether_local_git_libgit2_open), tether::local_git::Libgit2OpenFn>,
                "the entry point differs from libgit2_half.h");
  *out = tether::local_git::LocalGitRepository::Open(*url, *path, roots);
}

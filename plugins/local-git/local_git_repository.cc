#include "local_git_repository.h"

#include <algorithm>
#include <exception>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "git-common/git_status.h"
#include "plain_refs.h"
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

// "'<url>'" or "'<url>' (<path>)" when the path differs from the URL.
std::string Describe(const std::string& url, const std::string& path) {
  return path == url ? "'" + url + "'" : "'" + url + "' (" + path + ")";
}

// Checks that `path` is a directory before libgit2 sees it, so that the
// usual mistakes get a precise message.
Status CheckDirectory(const std::string& url, const std::string& path) {
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  if (error && error != std::errc::no_such_file_or_directory &&
      error != std::errc::not_a_directory) {
    if (error == std::errc::permission_denied) {
      return Status::PermissionDenied("cannot access repository " + Describe(url, path) + ": " +
                                      error.message());
    }
    return Status::Internal("cannot access repository " + Describe(url, path) + ": " +
                            error.message());
  }
  if (!std::filesystem::exists(status)) {
    return Status::NotFound("repository " + Describe(url, path) + " not found: no such directory");
  }
  if (!std::filesystem::is_directory(status)) {
    return Status::InvalidArgument("repository " + Describe(url, path) + " is not a directory");
  }
  return Status::Ok();
}

}  // namespace

LocalGitRepository::LocalGitRepository(std::string url, std::string path, std::string plain_git_dir,
                                       std::optional<AllowedRoots> roots)
    : url_(std::move(url)),
      path_(std::move(path)),
      plain_git_dir_(std::move(plain_git_dir)),
      roots_(std::move(roots)) {}

Result<std::unique_ptr<Repository>> LocalGitRepository::Open(const std::string& url, const AllowedRoots* roots) {
  return Guarded("Open", [&]() -> Result<std::unique_ptr<Repository>> {
    std::string path;
    TETHER_RETURN_IF_ERROR(LocalPathFromUrl(url, &path));
    // The resolved path is what is opened, so that nothing between the
    // check and the open can lead elsewhere through a symlink in `url`.
    if (roots != nullptr) TETHER_RETURN_IF_ERROR(roots->Resolve(url, path, &path));
    TETHER_RETURN_IF_ERROR(CheckDirectory(url, path));
    std::string plain_git_dir = PlainGitDir(path);
    std::optional<AllowedRoots> roots_copy;
    if (roots != nullptr) roots_copy = *roots;
    std::unique_ptr<LocalGitRepository> repository(
        new LocalGitRepository(url, std::move(path), std::move(plain_git_dir), std::move(roots_copy)));
    if (repository->plain_git_dir_.empty()) TETHER_RETURN_IF_ERROR(repository->OpenGit());
    return std::unique_ptr<Repository>(std::move(repository));
  });
}

Status LocalGitRepository::OpenGit() {
  if (git_ != nullptr) return Status::Ok();
  EnsureLibgit2Initialized();
  git_repository* raw_repo = nullptr;
  const int error = git_repository_open_ext(&raw_repo, path_.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
  RepositoryPtr repo(raw_repo);
  if (error == GIT_ENOTFOUND) {
    return Status::NotFound("repository " + Describe(url_, path_) +
                            " not found: the directory is not a git repository");
  }
  if (error < 0) return GitErrorStatus(error, "cannot open repository " + Describe(url_, path_));
  if (roots_) {
    const char* git_dir = git_repository_path(repo.get());
    const char* common_dir = git_repository_commondir(repo.get());
    if ((git_dir != nullptr && !roots_->Contains(git_dir)) ||
        (common_dir != nullptr && !roots_->Contains(common_dir))) {
      return Status::PermissionDenied("repository '" + url_ +
                                      "' keeps its git directory outside the directories local-git may "
                                      "open (allowed_roots: " + roots_->Describe() + ")");
    }
  }

  git_odb* raw_odb = nullptr;
  const int odb_error = git_repository_odb(&raw_odb, repo.get());
  OdbPtr odb(raw_odb);
  if (odb_error < 0) {
    return GitErrorStatus(odb_error, "cannot open the objects of repository " + Describe(url_, path_));
  }
  git_repository* const repo_handle = repo.get();
  git_odb* const odb_handle = odb.get();
  git_.reset(new Git{std::move(repo), std::move(odb), git_common::GitObjectReader(repo_handle, odb_handle, url_)});
  return Status::Ok();
}

Result<BranchList> LocalGitRepository::ListBranches() {
  return Guarded("ListBranches", [&]() -> Result<BranchList> {
    TETHER_RETURN_IF_ERROR(OpenGit());
    return ListBranchesUnguarded();
  });
}

Result<CommitId> LocalGitRepository::ResolveBranch(const std::string& branch) {
  return Guarded("ResolveBranch", [&]() -> Result<CommitId> {
    TETHER_RETURN_IF_ERROR(OpenGit());
    return ResolveBranchUnguarded(branch);
  });
}

Result<bool> LocalGitRepository::IsAncestor(const CommitId& ancestor, const CommitId& commit) {
  return Guarded("IsAncestor", [&]() -> Result<bool> {
    TETHER_RETURN_IF_ERROR(OpenGit());
    return git_->reader.IsAncestor(ancestor, commit);
  });
}

Status LocalGitRepository::Diff(const CommitId& from, const CommitId& to, ChangeSink* sink) {
  return Guarded("Diff", [&]() -> Status {
    TETHER_RETURN_IF_ERROR(OpenGit());
    return git_->reader.Diff(from, to, sink);
  });
}

Result<Blob> LocalGitRepository::ReadBlob(const BlobId& id, uint64_t max_bytes) {
  return Guarded("ReadBlob", [&]() -> Result<Blob> {
    TETHER_RETURN_IF_ERROR(OpenGit());
    return git_->reader.ReadBlob(id, max_bytes);
  });
}

bool LocalGitRepository::BranchIsAt(const std::string& branch, const CommitId& commit) {
  try {
    if (git_ == nullptr) return PlainBranchIsAt(plain_git_dir_, branch, commit);
    Result<CommitId> head = ResolveBranchUnguarded(branch);
    return head.ok() && *head == commit;
  } catch (...) {
    return false;
  }
}

Result<BranchList> LocalGitRepository::ListBranchesUnguarded() {
  git_branch_iterator* raw_iterator = nullptr;
  const int error = git_branch_iterator_new(&raw_iterator, git_->repo.get(), GIT_BRANCH_LOCAL);
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
  const int error = git_reference_lookup(&raw_head, git_->repo.get(), "HEAD");
  ReferencePtr head(raw_head);
  if (error < 0 || git_reference_type(head.get()) != GIT_REFERENCE_SYMBOLIC) return "";
  const std::string target = git_reference_symbolic_target(head.get());
  if (target.compare(0, kHeadsPrefixLength, kHeadsPrefix) != 0) return "";
  return target.substr(kHeadsPrefixLength);
}

Result<CommitId> LocalGitRepository::ResolveBranchUnguarded(const std::string& branch) {
  if (branch.empty()) return Status::InvalidArgument("branch name is empty");
  git_reference* raw_ref = nullptr;
  const int error = git_branch_lookup(&raw_ref, git_->repo.get(), branch.c_str(), GIT_BRANCH_LOCAL);
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

#include "local_git_repository.h"

#include <algorithm>
#include <exception>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "git_status.h"
#include "repo_url.h"
#include "tree_diff.h"

namespace tether {
namespace local_git {
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

LocalGitRepository::LocalGitRepository(std::string url, RepositoryPtr repo, OdbPtr odb)
    : url_(std::move(url)), repo_(std::move(repo)), odb_(std::move(odb)) {}

Result<std::unique_ptr<Repository>> LocalGitRepository::Open(const std::string& url) {
  return Guarded("Open", [&]() -> Result<std::unique_ptr<Repository>> {
    EnsureLibgit2Initialized();
    std::string path;
    TETHER_RETURN_IF_ERROR(LocalPathFromUrl(url, &path));
    TETHER_RETURN_IF_ERROR(CheckDirectory(url, path));

    git_repository* raw_repo = nullptr;
    const int error =
        git_repository_open_ext(&raw_repo, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
    RepositoryPtr repo(raw_repo);
    if (error == GIT_ENOTFOUND) {
      return Status::NotFound("repository " + Describe(url, path) +
                              " not found: the directory is not a git repository");
    }
    if (error < 0) return GitErrorStatus(error, "cannot open repository " + Describe(url, path));

    git_odb* raw_odb = nullptr;
    const int odb_error = git_repository_odb(&raw_odb, repo.get());
    OdbPtr odb(raw_odb);
    if (odb_error < 0) {
      return GitErrorStatus(odb_error,
                            "cannot open the objects of repository " + Describe(url, path));
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
  return Guarded("IsAncestor", [&] { return IsAncestorUnguarded(ancestor, commit); });
}

Status LocalGitRepository::Diff(const CommitId& from, const CommitId& to, ChangeSink* sink) {
  return Guarded("Diff", [&] { return DiffUnguarded(from, to, sink); });
}

Result<Blob> LocalGitRepository::ReadBlob(const BlobId& id, uint64_t max_bytes) {
  return Guarded("ReadBlob", [&] { return ReadBlobUnguarded(id, max_bytes); });
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

Result<bool> LocalGitRepository::IsAncestorUnguarded(const CommitId& ancestor,
                                                     const CommitId& commit) {
  git_oid ancestor_id;
  git_oid commit_id;
  TETHER_RETURN_IF_ERROR(ParseObjectId(ancestor, "ancestor commit id", &ancestor_id));
  TETHER_RETURN_IF_ERROR(ParseObjectId(commit, "commit id", &commit_id));

  git_commit* raw_commit = nullptr;
  const int error = git_commit_lookup(&raw_commit, repo_.get(), &commit_id);
  CommitPtr commit_object(raw_commit);
  if (error == GIT_ENOTFOUND) {
    return Status::NotFound("commit " + commit + " not found in repository '" + url_ + "'");
  }
  if (error < 0)
    return GitErrorStatus(error, "cannot read commit " + commit + " of '" + url_ + "'");

  // An ancestor that is gone (force push + gc) or is not a commit is simply
  // not an ancestor.
  size_t size = 0;
  git_object_t type = GIT_OBJECT_INVALID;
  const int header_error = git_odb_read_header(&size, &type, odb_.get(), &ancestor_id);
  if (header_error == GIT_ENOTFOUND || (header_error == 0 && type != GIT_OBJECT_COMMIT)) {
    return false;
  }
  if (header_error < 0) {
    return GitErrorStatus(header_error, "cannot read commit " + ancestor + " of '" + url_ + "'");
  }
  if (git_oid_equal(&ancestor_id, &commit_id)) return true;

  const int descends = git_graph_descendant_of(repo_.get(), &commit_id, &ancestor_id);
  if (descends < 0) {
    return GitErrorStatus(descends, "cannot walk the history of " + commit + " in '" + url_ + "'");
  }
  return descends == 1;
}

Status LocalGitRepository::LoadCommitTree(const CommitId& id, const char* what, TreePtr* tree) {
  git_oid oid;
  TETHER_RETURN_IF_ERROR(ParseObjectId(id, what, &oid));
  git_commit* raw_commit = nullptr;
  const int error = git_commit_lookup(&raw_commit, repo_.get(), &oid);
  CommitPtr commit(raw_commit);
  if (error == GIT_ENOTFOUND) {
    return Status::NotFound("commit " + id + " not found in repository '" + url_ + "'");
  }
  if (error < 0) return GitErrorStatus(error, "cannot read commit " + id + " of '" + url_ + "'");

  git_tree* raw_tree = nullptr;
  const int tree_error = git_commit_tree(&raw_tree, commit.get());
  tree->reset(raw_tree);
  if (tree_error == GIT_ENOTFOUND) {
    return Status::DataLoss("the tree of commit " + id + " is missing from '" + url_ + "'");
  }
  if (tree_error < 0) {
    return GitErrorStatus(tree_error,
                          "cannot read the tree of commit " + id + " of '" + url_ + "'");
  }
  return Status::Ok();
}

Status LocalGitRepository::DiffUnguarded(const CommitId& from, const CommitId& to,
                                         ChangeSink* sink) {
  if (sink == nullptr) return Status::InvalidArgument("Diff needs a sink");
  if (to.empty()) return Status::InvalidArgument("Diff needs a target commit id");
  TreePtr to_tree;
  TETHER_RETURN_IF_ERROR(LoadCommitTree(to, "target commit id", &to_tree));
  TreePtr from_tree;  // stays null for a diff from nothing
  if (!from.empty()) TETHER_RETURN_IF_ERROR(LoadCommitTree(from, "base commit id", &from_tree));
  return DiffTrees(repo_.get(), from_tree.get(), to_tree.get(), sink);
}

Result<Blob> LocalGitRepository::ReadBlobUnguarded(const BlobId& id, uint64_t max_bytes) {
  git_oid oid;
  TETHER_RETURN_IF_ERROR(ParseObjectId(id, "blob id", &oid));

  // The header gives the size without inflating the object, so a huge blob
  // over the limit costs nothing.
  size_t size = 0;
  git_object_t type = GIT_OBJECT_INVALID;
  const int error = git_odb_read_header(&size, &type, odb_.get(), &oid);
  if (error == GIT_ENOTFOUND) {
    return Status::NotFound("blob " + id + " not found in repository '" + url_ + "'");
  }
  if (error < 0) return GitErrorStatus(error, "cannot read blob " + id + " of '" + url_ + "'");
  if (type != GIT_OBJECT_BLOB) {
    return Status::InvalidArgument("object " + id + " in '" + url_ + "' is a " +
                                   git_object_type2string(type) + ", not a blob");
  }

  Blob blob;
  blob.size = size;
  if (blob.size > max_bytes) {
    blob.truncated = true;
    return blob;
  }
  git_odb_object* raw_object = nullptr;
  const int read_error = git_odb_read(&raw_object, odb_.get(), &oid);
  OdbObjectPtr object(raw_object);
  if (read_error < 0)
    return GitErrorStatus(read_error, "cannot read blob " + id + " of '" + url_ + "'");
  blob.data.assign(static_cast<const char*>(git_odb_object_data(object.get())),
                   git_odb_object_size(object.get()));
  return blob;
}

}  // namespace local_git
}  // namespace tether

#include "git-common/object_reader.h"

#include <cstring>
#include <queue>
#include <unordered_set>
#include <utility>
#include <vector>

#include "git-common/git_status.h"
#include "git-common/tree_diff.h"

namespace tether {
namespace git_common {
namespace {

// How much older than the ancestor a commit may be (committer time) and
// still have it among its ancestors, for the walk below to go on: clocks
// and rebases put a commit before its parent now and then.
constexpr git_time_t kClockSkewSeconds = 24 * 60 * 60;

struct OidHash {
  size_t operator()(const git_oid& id) const {
    size_t h = 0;
    std::memcpy(&h, id.id, sizeof(h));
    return h;
  }
};
struct OidEqual {
  bool operator()(const git_oid& a, const git_oid& b) const { return git_oid_equal(&a, &b) != 0; }
};

enum class WalkAnswer { kFound, kNotReachable, kUndecided };

// Walks the history of `from` newest first (committer time), looking for
// `target`, whose committer time is `target_time`. Found: an ancestor for
// certain. The whole history walked without it: not one, for certain.
// Undecided once every commit left to walk is more than a day older than
// `target` (dates say it is not an ancestor, but dates can lie). So the
// walk costs what the commits since `target` cost: a branch moved 200
// commits forward is a few hundred commits read, where libgit2's merge
// base (git_graph_descendant_of) walks down to where every branch merged
// since then forked, thousands in a history like git's.
Result<WalkAnswer> WalkNewestFirst(git_repository* repo, const git_oid& from, const git_oid& target,
                                   git_time_t target_time) {
  using Item = std::pair<git_time_t, git_oid>;
  auto older = [](const Item& a, const Item& b) { return a.first < b.first; };
  std::priority_queue<Item, std::vector<Item>, decltype(older)> queue(older);
  std::unordered_set<git_oid, OidHash, OidEqual> seen;
  auto push = [&](const git_oid& id) -> int {
    if (!seen.insert(id).second) return 0;
    git_commit* raw = nullptr;
    const int error = git_commit_lookup(&raw, repo, &id);
    CommitPtr commit(raw);
    if (error < 0) return error;
    queue.emplace(git_commit_time(commit.get()), id);
    return 0;
  };
  if (int error = push(from); error < 0) return GitErrorStatus(error, "cannot read a commit");
  while (!queue.empty()) {
    const Item top = queue.top();
    if (git_oid_equal(&top.second, &target)) return WalkAnswer::kFound;
    if (top.first < target_time - kClockSkewSeconds) return WalkAnswer::kUndecided;
    queue.pop();
    git_commit* raw = nullptr;
    int error = git_commit_lookup(&raw, repo, &top.second);
    CommitPtr commit(raw);
    if (error < 0) return GitErrorStatus(error, "cannot read a commit");
    const unsigned parents = git_commit_parentcount(commit.get());
    for (unsigned i = 0; i < parents; ++i) {
      const git_oid* parent = git_commit_parent_id(commit.get(), i);
      // A parent missing from a shallow or partial clone ends that line.
      if (parent == nullptr) continue;
      error = push(*parent);
      if (error == GIT_ENOTFOUND) continue;
      if (error < 0) return GitErrorStatus(error, "cannot read a commit");
    }
  }
  return WalkAnswer::kNotReachable;
}

}  // namespace

Result<bool> GitObjectReader::IsAncestor(const CommitId& ancestor, const CommitId& commit) {
  git_oid ancestor_id;
  git_oid commit_id;
  TETHER_RETURN_IF_ERROR(ParseObjectId(ancestor, "ancestor commit id", &ancestor_id));
  TETHER_RETURN_IF_ERROR(ParseObjectId(commit, "commit id", &commit_id));

  git_commit* raw_commit = nullptr;
  const int error = git_commit_lookup(&raw_commit, repo_, &commit_id);
  CommitPtr commit_object(raw_commit);
  if (error == GIT_ENOTFOUND) {
    return Status::NotFound("commit " + commit + " not found in repository '" + name_ + "'");
  }
  if (error < 0)
    return GitErrorStatus(error, "cannot read commit " + commit + " of '" + name_ + "'");

  // An ancestor that is gone (force push + gc) or is not a commit is simply
  // not an ancestor.
  size_t size = 0;
  git_object_t type = GIT_OBJECT_INVALID;
  const int header_error = git_odb_read_header(&size, &type, odb_, &ancestor_id);
  if (header_error == GIT_ENOTFOUND || (header_error == 0 && type != GIT_OBJECT_COMMIT)) {
    return false;
  }
  if (header_error < 0) {
    return GitErrorStatus(header_error, "cannot read commit " + ancestor + " of '" + name_ + "'");
  }
  if (git_oid_equal(&ancestor_id, &commit_id)) return true;

  git_commit* raw_ancestor = nullptr;
  const int ancestor_error = git_commit_lookup(&raw_ancestor, repo_, &ancestor_id);
  CommitPtr ancestor_object(raw_ancestor);
  if (ancestor_error < 0) {
    return GitErrorStatus(ancestor_error, "cannot read commit " + ancestor + " of '" + name_ + "'");
  }
  Result<WalkAnswer> walked =
      WalkNewestFirst(repo_, commit_id, ancestor_id, git_commit_time(ancestor_object.get()));
  if (!walked.ok()) {
    return walked.status().WithContext("walking the history of " + commit + " in '" + name_ + "'");
  }
  if (*walked == WalkAnswer::kFound) return true;
  if (*walked == WalkAnswer::kNotReachable) return false;
  // Dates say no; only the full answer may (a commit dated long before its
  // parent, a force push).
  const int descends = git_graph_descendant_of(repo_, &commit_id, &ancestor_id);
  if (descends < 0) {
    return GitErrorStatus(descends,
                          "cannot walk the history of " + commit + " in '" + name_ + "'");
  }
  return descends == 1;
}

Status GitObjectReader::LoadCommitTree(const CommitId& id, const char* what, TreePtr* tree) {
  git_oid oid;
  TETHER_RETURN_IF_ERROR(ParseObjectId(id, what, &oid));
  git_commit* raw_commit = nullptr;
  const int error = git_commit_lookup(&raw_commit, repo_, &oid);
  CommitPtr commit(raw_commit);
  if (error == GIT_ENOTFOUND) {
    return Status::NotFound("commit " + id + " not found in repository '" + name_ + "'");
  }
  if (error < 0) return GitErrorStatus(error, "cannot read commit " + id + " of '" + name_ + "'");

  git_tree* raw_tree = nullptr;
  const int tree_error = git_commit_tree(&raw_tree, commit.get());
  tree->reset(raw_tree);
  if (tree_error == GIT_ENOTFOUND) {
    return Status::DataLoss("the tree of commit " + id + " is missing from '" + name_ + "'");
  }
  if (tree_error < 0) {
    return GitErrorStatus(tree_error,
                          "cannot read the tree of commit " + id + " of '" + name_ + "'");
  }
  return Status::Ok();
}

Status GitObjectReader::Diff(const CommitId& from, const CommitId& to, ChangeSink* sink) {
  if (sink == nullptr) return Status::InvalidArgument("Diff needs a sink");
  if (to.empty()) return Status::InvalidArgument("Diff needs a target commit id");
  TreePtr to_tree;
  TETHER_RETURN_IF_ERROR(LoadCommitTree(to, "target commit id", &to_tree));
  TreePtr from_tree;  // stays null for a diff from nothing
  if (!from.empty()) TETHER_RETURN_IF_ERROR(LoadCommitTree(from, "base commit id", &from_tree));
  return DiffTrees(repo_, from_tree.get(), to_tree.get(), sink);
}

Result<Blob> GitObjectReader::ReadBlob(const BlobId& id, uint64_t max_bytes) {
  git_oid oid;
  TETHER_RETURN_IF_ERROR(ParseObjectId(id, "blob id", &oid));

  // The header gives the size without inflating the object, so a huge blob
  // over the limit costs nothing.
  size_t size = 0;
  git_object_t type = GIT_OBJECT_INVALID;
  const int error = git_odb_read_header(&size, &type, odb_, &oid);
  if (error == GIT_ENOTFOUND) {
    return Status::NotFound("blob " + id + " not found in repository '" + name_ + "'");
  }
  if (error < 0) return GitErrorStatus(error, "cannot read blob " + id + " of '" + name_ + "'");
  if (type != GIT_OBJECT_BLOB) {
    return Status::InvalidArgument("object " + id + " in '" + name_ + "' is a " +
                                   git_object_type2string(type) + ", not a blob");
  }

  Blob blob;
  blob.size = size;
  if (blob.size > max_bytes) {
    blob.truncated = true;
    return blob;
  }
  git_odb_object* raw_object = nullptr;
  const int read_error = git_odb_read(&raw_object, odb_, &oid);
  OdbObjectPtr object(raw_object);
  if (read_error < 0)
    return GitErrorStatus(read_error, "cannot read blob " + id + " of '" + name_ + "'");
  blob.data.assign(static_cast<const char*>(git_odb_object_data(object.get())),
                   git_odb_object_size(object.get()));
  return blob;
}

Result<bool> GitObjectReader::Contains(const std::string& id, const char* what) {
  git_oid oid;
  TETHER_RETURN_IF_ERROR(ParseObjectId(id, what, &oid));
  return git_odb_exists(odb_, &oid) == 1;
}

}  // namespace git_common
}  // namespace tether

#include "git-common/tree_diff.h"

#include <cstring>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "git-common/git_handles.h"
#include "git-common/git_status.h"

namespace tether {
namespace git_common {
namespace {

// Deeper trees than this are refused rather than risking the thread's stack
// (git itself refuses to check out paths this deep).
constexpr int kMaxTreeDepth = 2048;

// Compares two entry names in git's tree order: bytewise, with a directory
// compared as if its name ended in '/'. So the file "foo" sorts before
// "foo-bar", which sorts before the directory "foo" ('-' < '/'); a file and
// a directory of the same name never compare equal.
int CompareInTreeOrder(const git_tree_entry* a, const git_tree_entry* b) {
  const char* a_name = git_tree_entry_name(a);
  const char* b_name = git_tree_entry_name(b);
  const size_t a_length = std::strlen(a_name);
  const size_t b_length = std::strlen(b_name);
  const size_t common = a_length < b_length ? a_length : b_length;
  const int cmp = std::memcmp(a_name, b_name, common);
  if (cmp != 0) return cmp;
  auto next_char = [common](const char* name, size_t length, const git_tree_entry* entry) {
    if (common < length) return static_cast<unsigned char>(name[common]);
    return static_cast<unsigned char>(git_tree_entry_filemode(entry) == GIT_FILEMODE_TREE ? '/'
                                                                                          : '\0');
  };
  const unsigned char a_next = next_char(a_name, a_length, a);
  const unsigned char b_next = next_char(b_name, b_length, b);
  return static_cast<int>(a_next) - static_cast<int>(b_next);
}

bool IsTree(const git_tree_entry* entry) {
  return git_tree_entry_filemode(entry) == GIT_FILEMODE_TREE;
}

// Receives the raw results of the walk. Implementations decide whether to
// stream them or to buffer them for rename pairing.
class ChangeCollector {
 public:
  virtual ~ChangeCollector() = default;
  virtual Status Added(Entry entry) = 0;
  virtual Status Deleted(Entry entry) = 0;
  virtual Status Modified(Entry entry) = 0;
  // Called once after a successful walk.
  virtual Status Finish() { return Status::Ok(); }
};

Change MakeChange(ChangeKind kind, Entry entry) {
  Change change;
  change.kind = kind;
  change.entry = std::move(entry);
  return change;
}

// Passes every change straight to the sink; no memory beyond one change.
class StreamingCollector final : public ChangeCollector {
 public:
  explicit StreamingCollector(ChangeSink* sink) : sink_(sink) {}
  Status Added(Entry entry) override {
    return sink_->OnChange(MakeChange(ChangeKind::kAdded, std::move(entry)));
  }
  Status Deleted(Entry entry) override {
    return sink_->OnChange(MakeChange(ChangeKind::kDeleted, std::move(entry)));
  }
  Status Modified(Entry entry) override {
    return sink_->OnChange(MakeChange(ChangeKind::kModified, std::move(entry)));
  }

 private:
  ChangeSink* const sink_;  // not owned
};

// Streams modifications, buffers adds and deletes, and in Finish() pairs a
// deleted and an added entry with the same blob id and content kind
// (SameContentKind) into kRenamed.
// A deleted entry with the same file name as the added one is preferred
// (a move to another directory), then the first one in tree order.
class RenamePairingCollector final : public ChangeCollector {
 public:
  explicit RenamePairingCollector(ChangeSink* sink) : sink_(sink) {}

  Status Added(Entry entry) override {
    pending_.push_back(MakeChange(ChangeKind::kAdded, std::move(entry)));
    return Status::Ok();
  }
  Status Deleted(Entry entry) override {
    pending_.push_back(MakeChange(ChangeKind::kDeleted, std::move(entry)));
    return Status::Ok();
  }
  Status Modified(Entry entry) override {
    return sink_->OnChange(MakeChange(ChangeKind::kModified, std::move(entry)));
  }

  Status Finish() override {
    std::vector<bool> consumed(pending_.size(), false);
    PairRenames(&consumed);
    for (size_t i = 0; i < pending_.size(); ++i) {
      if (consumed[i]) continue;
      TETHER_RETURN_IF_ERROR(sink_->OnChange(pending_[i]));
    }
    return Status::Ok();
  }

 private:
  // Deleted entries that may still become the source of a rename, in tree
  // order; `next` skips the ones already taken, so lookups are amortised O(1).
  struct Candidates {
    std::vector<size_t> indices;
    size_t next = 0;
  };
  using CandidateMap = std::unordered_map<std::string, Candidates>;

  // Entries whose kinds hold the same content (SameContentKind) share a
  // key, so a move that also changes the mode is still a rename.
  static std::string ContentKey(const Entry& entry) {
    const EntryKind kind = SameContentKind(entry.kind, EntryKind::kFile) ? EntryKind::kFile : entry.kind;
    return std::to_string(static_cast<int>(kind)) + ':' + entry.blob_id;
  }
  static std::string BaseName(const std::string& path) {
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
  }

  // Returns the index of the first unconsumed candidate for `key`, or -1.
  static long TakeCandidate(CandidateMap* map, const std::string& key,
                            const std::vector<bool>& consumed) {
    auto found = map->find(key);
    if (found == map->end()) return -1;
    Candidates& candidates = found->second;
    while (candidates.next < candidates.indices.size() &&
           consumed[candidates.indices[candidates.next]]) {
      ++candidates.next;
    }
    if (candidates.next == candidates.indices.size()) return -1;
    return static_cast<long>(candidates.indices[candidates.next++]);
  }

  void PairRenames(std::vector<bool>* consumed) {
    CandidateMap by_content;
    CandidateMap by_content_and_name;
    for (size_t i = 0; i < pending_.size(); ++i) {
      if (pending_[i].kind != ChangeKind::kDeleted) continue;
      const std::string key = ContentKey(pending_[i].entry);
      by_content[key].indices.push_back(i);
      by_content_and_name[key + '/' + BaseName(pending_[i].entry.path)].indices.push_back(i);
    }
    if (by_content.empty()) return;
    for (Change& added : pending_) {
      if (added.kind != ChangeKind::kAdded) continue;
      const std::string key = ContentKey(added.entry);
      long source =
          TakeCandidate(&by_content_and_name, key + '/' + BaseName(added.entry.path), *consumed);
      if (source < 0) source = TakeCandidate(&by_content, key, *consumed);
      if (source < 0) continue;
      (*consumed)[static_cast<size_t>(source)] = true;
      added.kind = ChangeKind::kRenamed;
      added.old_path = pending_[static_cast<size_t>(source)].entry.path;
    }
  }

  ChangeSink* const sink_;       // not owned
  std::vector<Change> pending_;  // adds and deletes, in tree order
};

// Walks trees of one repository and reports to a ChangeCollector. `path_`
// holds the directory being walked ("" or "a/b/"), grown and shrunk in
// place so that no path is built for an unchanged entry.
class TreeWalker {
 public:
  TreeWalker(git_repository* repo, ChangeCollector* out, TreeDiffStats* stats)
      : repo_(repo), out_(out), stats_(stats) {}

  Status Diff(const git_tree* from, const git_tree* to) { return DiffLevel(from, to, 0); }
  Status EmitAll(const git_tree* tree, ChangeKind kind) { return EmitLevel(tree, kind, 0); }

 private:
  Status DiffLevel(const git_tree* from, const git_tree* to, int depth) {
    const size_t from_count = git_tree_entrycount(from);
    const size_t to_count = git_tree_entrycount(to);
    size_t i = 0;
    size_t j = 0;
    while (i < from_count || j < to_count) {
      const git_tree_entry* old_entry = i < from_count ? git_tree_entry_byindex(from, i) : nullptr;
      const git_tree_entry* new_entry = j < to_count ? git_tree_entry_byindex(to, j) : nullptr;
      int cmp = 0;
      if (old_entry == nullptr) {
        cmp = 1;
      } else if (new_entry == nullptr) {
        cmp = -1;
      } else {
        cmp = CompareInTreeOrder(old_entry, new_entry);
      }
      if (cmp < 0) {
        TETHER_RETURN_IF_ERROR(EmitEntry(old_entry, ChangeKind::kDeleted, depth));
        ++i;
      } else if (cmp > 0) {
        TETHER_RETURN_IF_ERROR(EmitEntry(new_entry, ChangeKind::kAdded, depth));
        ++j;
      } else {
        TETHER_RETURN_IF_ERROR(DiffSameName(old_entry, new_entry, depth));
        ++i;
        ++j;
      }
    }
    return Status::Ok();
  }

  // Both entries have the same name and are both trees or both non-trees.
  Status DiffSameName(const git_tree_entry* old_entry, const git_tree_entry* new_entry, int depth) {
    CountEntry();
    const bool same_id = git_oid_equal(git_tree_entry_id(old_entry), git_tree_entry_id(new_entry));
    if (!IsTree(new_entry)) {
      if (same_id && git_tree_entry_filemode(old_entry) == git_tree_entry_filemode(new_entry)) {
        return Status::Ok();
      }
      Entry entry;
      TETHER_RETURN_IF_ERROR(MakeEntry(new_entry, &entry));
      return out_->Modified(std::move(entry));
    }
    if (same_id) return Status::Ok();  // the whole subtree is unchanged
    TreePtr old_tree;
    TreePtr new_tree;
    TETHER_RETURN_IF_ERROR(LoadSubtree(old_entry, &old_tree));
    TETHER_RETURN_IF_ERROR(LoadSubtree(new_entry, &new_tree));
    return Descend(new_entry, depth, [&](int child_depth) {
      return DiffLevel(old_tree.get(), new_tree.get(), child_depth);
    });
  }

  // Emits every entry of `tree`, recursively, with `kind` (added or deleted).
  Status EmitLevel(const git_tree* tree, ChangeKind kind, int depth) {
    const size_t count = git_tree_entrycount(tree);
    for (size_t i = 0; i < count; ++i) {
      TETHER_RETURN_IF_ERROR(EmitEntry(git_tree_entry_byindex(tree, i), kind, depth));
    }
    return Status::Ok();
  }

  // Emits one entry present on one side only; a tree with all it contains.
  Status EmitEntry(const git_tree_entry* tree_entry, ChangeKind kind, int depth) {
    CountEntry();
    if (IsTree(tree_entry)) {
      TreePtr subtree;
      TETHER_RETURN_IF_ERROR(LoadSubtree(tree_entry, &subtree));
      return Descend(tree_entry, depth,
                     [&](int child_depth) { return EmitLevel(subtree.get(), kind, child_depth); });
    }
    Entry entry;
    TETHER_RETURN_IF_ERROR(MakeEntry(tree_entry, &entry));
    return kind == ChangeKind::kAdded ? out_->Added(std::move(entry))
                                      : out_->Deleted(std::move(entry));
  }

  // Runs `walk` with path_ extended by the directory `tree_entry`.
  template <typename Walk>
  Status Descend(const git_tree_entry* tree_entry, int depth, Walk&& walk) {
    if (depth + 1 > kMaxTreeDepth) {
      return Status::Internal("tree nested deeper than " + std::to_string(kMaxTreeDepth) +
                              " levels at '" + path_ + git_tree_entry_name(tree_entry) + "'");
    }
    const size_t old_length = path_.size();
    path_.append(git_tree_entry_name(tree_entry)).push_back('/');
    Status status = walk(depth + 1);
    path_.resize(old_length);
    return status;
  }

  Status LoadSubtree(const git_tree_entry* tree_entry, TreePtr* out) {
    git_tree* tree = nullptr;
    const int error = git_tree_lookup(&tree, repo_, git_tree_entry_id(tree_entry));
    out->reset(tree);
    if (error == 0) {
      if (stats_ != nullptr) ++stats_->trees_loaded;
      return Status::Ok();
    }
    const std::string where = "tree " + FormatObjectId(*git_tree_entry_id(tree_entry)) + " at '" +
                              path_ + git_tree_entry_name(tree_entry) + "'";
    if (error == GIT_ENOTFOUND) {
      return Status::DataLoss(where +
                              " is missing from the repository (corrupt or shallow clone?)");
    }
    return GitErrorStatus(error, "cannot read " + where);
  }

  Status MakeEntry(const git_tree_entry* tree_entry, Entry* entry) const {
    const git_filemode_t mode = git_tree_entry_filemode(tree_entry);
    switch (mode) {
      case GIT_FILEMODE_BLOB:
        entry->kind = EntryKind::kFile;
        break;
      case GIT_FILEMODE_BLOB_EXECUTABLE:
        entry->kind = EntryKind::kExecutable;
        break;
      case GIT_FILEMODE_LINK:
        entry->kind = EntryKind::kSymlink;
        break;
      case GIT_FILEMODE_COMMIT:
        entry->kind = EntryKind::kSubmodule;
        break;
      default:
        return Status::Internal("tree entry '" + path_ + git_tree_entry_name(tree_entry) +
                                "' has a mode git does not define (" +
                                std::to_string(git_tree_entry_filemode_raw(tree_entry)) + ")");
    }
    entry->path = path_ + git_tree_entry_name(tree_entry);
    entry->blob_id = FormatObjectId(*git_tree_entry_id(tree_entry));
    entry->mode = static_cast<uint32_t>(mode);
    return Status::Ok();
  }

  void CountEntry() {
    if (stats_ != nullptr) ++stats_->entries_visited;
  }

  git_repository* const repo_;  // not owned
  ChangeCollector* const out_;  // not owned
  TreeDiffStats* const stats_;  // not owned; may be nullptr
  std::string path_;
};

}  // namespace

Status DiffTrees(git_repository* repo, const git_tree* from_tree, const git_tree* to_tree,
                 ChangeSink* sink, TreeDiffStats* stats) {
  if (from_tree == nullptr) {
    StreamingCollector collector(sink);
    return TreeWalker(repo, &collector, stats).EmitAll(to_tree, ChangeKind::kAdded);
  }
  if (git_oid_equal(git_tree_id(from_tree), git_tree_id(to_tree))) return Status::Ok();
  RenamePairingCollector collector(sink);
  TETHER_RETURN_IF_ERROR(TreeWalker(repo, &collector, stats).Diff(from_tree, to_tree));
  return collector.Finish();
}

}  // namespace git_common
}  // namespace tether

#include "engine/sync/tree_diff.h"

#include <string>
#include <unordered_map>
#include <utility>

namespace tether::sync {
namespace {

// Each sink asks the hooks' check at every item and stops the provider
// with its error.
Status Check(const DiffHooks& hooks) { return hooks.check ? hooks.check() : Status::Ok(); }

void Progress(const DiffHooks& hooks, int64_t seen) {
  if (hooks.progress) hooks.progress(seen);
}

class ChangeCollector : public ChangeSink {
 public:
  ChangeCollector(std::vector<Change>* out, const DiffHooks& hooks) : out_(out), hooks_(hooks) {}
  Status OnChange(const Change& change) override {
    TETHER_RETURN_IF_ERROR(Check(hooks_));
    out_->push_back(change);
    Progress(hooks_, static_cast<int64_t>(out_->size()));
    return Status::Ok();
  }

 private:
  std::vector<Change>* out_;
  const DiffHooks& hooks_;
};

class EntryCollector : public EntrySink {
 public:
  EntryCollector(std::unordered_map<std::string, Entry>* out, const DiffHooks& hooks) : out_(out), hooks_(hooks) {}
  Status OnEntry(const Entry& entry) override {
    TETHER_RETURN_IF_ERROR(Check(hooks_));
    out_->emplace(entry.path, entry);
    return Status::Ok();
  }

 private:
  std::unordered_map<std::string, Entry>* out_;
  const DiffHooks& hooks_;
};

// The new commit's whole tree against what is stored. Entries
// whose blob and mode did not change produce no change at all, so their
// rows (and embeddings) stay untouched.
class StoredTreeComparer : public ChangeSink {
 public:
  StoredTreeComparer(std::unordered_map<std::string, Entry> stored, std::vector<Change>* out,
                     const DiffHooks& hooks)
      : stored_(std::move(stored)), out_(out), hooks_(hooks) {}

  Status OnChange(const Change& change) override {
    TETHER_RETURN_IF_ERROR(Check(hooks_));
    Progress(hooks_, ++seen_);
    const Entry& entry = change.entry;
    auto it = stored_.find(entry.path);
    if (it == stored_.end()) {
      added_.push_back(change);
      return Status::Ok();
    }
    bool same = it->second.blob_id == entry.blob_id && it->second.mode == entry.mode;
    stored_.erase(it);
    if (same) return Status::Ok();
    Change modified = change;
    modified.kind = ChangeKind::kModified;
    out_->push_back(std::move(modified));
    return Status::Ok();
  }

  // What is left: stored paths the new tree does not have. Those whose blob
  // reappears under a new path become renames (their rows move).
  void Finish() {
    std::unordered_map<std::string, std::vector<std::string>> gone_by_blob;
    for (const auto& [path, entry] : stored_) gone_by_blob[entry.blob_id].push_back(path);
    for (Change& add : added_) {
      auto it = gone_by_blob.find(add.entry.blob_id);
      if (it != gone_by_blob.end() && !it->second.empty()) {
        const Entry& old_entry = stored_.at(it->second.back());
        if (SameContentKind(old_entry.kind, add.entry.kind)) {
          add.kind = ChangeKind::kRenamed;
          add.old_path = old_entry.path;
          stored_.erase(old_entry.path);
          it->second.pop_back();
        }
      }
      out_->push_back(std::move(add));
    }
    for (auto& [path, entry] : stored_) {
      Change deleted;
      deleted.kind = ChangeKind::kDeleted;
      deleted.entry = entry;
      out_->push_back(std::move(deleted));
    }
  }

 private:
  std::unordered_map<std::string, Entry> stored_;
  std::vector<Change> added_;
  std::vector<Change>* out_;
  const DiffHooks& hooks_;
  int64_t seen_ = 0;
};

}  // namespace

Result<DiffBasis> DiffToHead(Repository* repo, Storage* storage, const ProjectRef& project, const CommitId& cursor,
                             const CommitId& head, bool compare_stored, const DiffHooks& hooks,
                             std::vector<Change>* changes) {
  if (cursor.empty()) {
    ChangeCollector collector(changes, hooks);
    TETHER_RETURN_IF_ERROR(repo->Diff("", head, &collector));
    return DiffBasis::kNothing;
  }
  if (!compare_stored && cursor != head) {
    Result<bool> ancestor = repo->IsAncestor(cursor, head);
    if (!ancestor.ok()) return ancestor.status();
    if (*ancestor) {
      ChangeCollector collector(changes, hooks);
      TETHER_RETURN_IF_ERROR(repo->Diff(cursor, head, &collector));
      return DiffBasis::kAncestor;
    }
  }
  std::unordered_map<std::string, Entry> stored;
  EntryCollector entries(&stored, hooks);
  TETHER_RETURN_IF_ERROR(storage->ListEntries(project, &entries));
  StoredTreeComparer comparer(std::move(stored), changes, hooks);
  TETHER_RETURN_IF_ERROR(repo->Diff("", head, &comparer));
  comparer.Finish();
  return DiffBasis::kStoredRows;
}

}  // namespace tether::sync

#include "engine/sync/change_set.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "engine/sync/content_rules.h"

namespace tether::sync {
namespace {

// Empty when the engine stores `path`; otherwise the reason it does not.
std::string RefusalOf(const std::string& path) {
  Status status = CheckRepositoryPath(path);
  return status.ok() ? std::string() : status.message();
}

// FNV-1a, 64 bits: equal paths have equal keys; a rare collision of two
// paths only costs a second listing.
uint64_t PathKey(const std::string& path) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : path) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

void ChangePlanner::Add(Change change, std::string refused, std::vector<PlannedChange>* out) {
  if (!refused.empty()) {
    ++counts_.skipped;
  } else {
    switch (change.kind) {
      case ChangeKind::kAdded: ++counts_.added; break;
      case ChangeKind::kModified: ++counts_.modified; break;
      case ChangeKind::kDeleted: ++counts_.deleted; break;
      case ChangeKind::kRenamed: ++counts_.renamed; break;
    }
  }
  out->push_back({std::move(change), std::move(refused)});
}

Status ChangePlanner::Plan(Change change, std::vector<PlannedChange>* out) {
  if (!IsProviderId(change.entry.blob_id)) {
    return Status::Internal("provider \"" + provider_ + "\" gave the path \"" + DisplayPath(change.entry.path) +
                            "\" the blob id \"" + DisplayPath(change.entry.blob_id) +
                            "\", which is not an id (non-empty printable ASCII without spaces); nothing was "
                            "written");
  }
  keys_.push_back(PathKey(change.entry.path));
  if (change.kind == ChangeKind::kRenamed) keys_.push_back(PathKey(change.old_path));
  std::string refused = RefusalOf(change.entry.path);
  if (change.kind != ChangeKind::kRenamed) {
    Add(std::move(change), std::move(refused), out);
    return Status::Ok();
  }
  std::string old_refused = RefusalOf(change.old_path);
  if (refused.empty() && old_refused.empty()) {
    Add(std::move(change), std::string(), out);
    return Status::Ok();
  }
  // Half of the rename cannot be stored: the old path goes, the new one
  // comes, each on its own, so the rows still follow the tree.
  Change deleted;
  deleted.kind = ChangeKind::kDeleted;
  deleted.entry = change.entry;
  deleted.entry.path = std::move(change.old_path);
  change.kind = ChangeKind::kAdded;
  change.old_path.clear();
  Add(std::move(deleted), std::move(old_refused), out);
  Add(std::move(change), std::move(refused), out);
  return Status::Ok();
}

Status ChangePlanner::CheckPathsOnce(const ListPaths& list) {
  std::sort(keys_.begin(), keys_.end());
  std::unordered_set<uint64_t> twice;  // the keys met more than once
  for (size_t i = 1; i < keys_.size(); ++i) {
    if (keys_[i] == keys_[i - 1]) twice.insert(keys_[i]);
  }
  keys_.clear();
  if (twice.empty()) return Status::Ok();
  std::string duplicate;
  std::unordered_map<uint64_t, std::unordered_set<std::string>> paths;  // under the keys met twice
  TETHER_RETURN_IF_ERROR(list([&](const std::string& path) {
    const uint64_t key = PathKey(path);
    if (!duplicate.empty() || twice.count(key) == 0) return;
    if (!paths[key].insert(path).second) duplicate = path;
  }));
  if (duplicate.empty()) return Status::Ok();  // distinct paths under one key
  return Status::Internal("provider \"" + provider_ + "\" named the path \"" + DisplayPath(duplicate) +
                          "\" twice in one change set (a tree with a duplicate entry, or a provider "
                          "bug); nothing was written");
}

Status ChangeSet::Build(const std::string& provider, std::vector<Change> changes) {
  planned_.clear();
  counts_ = db::RunCounts();
  ChangePlanner planner(provider);
  std::vector<PlannedChange> planned;
  planned.reserve(changes.size());
  for (Change& change : changes) TETHER_RETURN_IF_ERROR(planner.Plan(std::move(change), &planned));
  TETHER_RETURN_IF_ERROR(planner.CheckPathsOnce([&](const std::function<void(const std::string&)>& visit) {
    for (const PlannedChange& p : planned) {  // a rename split in two names both of its paths too
      visit(p.change.entry.path);
      if (p.change.kind == ChangeKind::kRenamed) visit(p.change.old_path);
    }
    return Status::Ok();
  }));
  planned_ = std::move(planned);
  counts_ = planner.counts();
  return Status::Ok();
}

}  // namespace tether::sync

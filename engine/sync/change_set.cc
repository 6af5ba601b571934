#include "engine/sync/change_set.h"

#include <string_view>
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

}  // namespace

void ChangeSet::Add(Change change, std::string refused) {
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
  planned_.push_back({std::move(change), std::move(refused)});
}

Status ChangeSet::Build(const std::string& provider, std::vector<Change> changes) {
  planned_.clear();
  counts_ = db::RunCounts();
  {
    // Views into `changes`, which does not change while they are used.
    std::unordered_set<std::string_view> seen;
    seen.reserve(changes.size() + changes.size() / 4);
    auto once = [&](const std::string& path) -> Status {
      if (seen.insert(path).second) return Status::Ok();
      return Status::Internal("provider \"" + provider + "\" named the path \"" + DisplayPath(path) +
                              "\" twice in one change set (a tree with a duplicate entry, or a provider "
                              "bug); nothing was written");
    };
    for (const Change& change : changes) {
      if (!IsProviderId(change.entry.blob_id)) {
        return Status::Internal("provider \"" + provider + "\" gave the path \"" + DisplayPath(change.entry.path) +
                                "\" the blob id \"" + DisplayPath(change.entry.blob_id) +
                                "\", which is not an id (non-empty printable ASCII without spaces); nothing was "
                                "written");
      }
      TETHER_RETURN_IF_ERROR(once(change.entry.path));
      if (change.kind == ChangeKind::kRenamed) TETHER_RETURN_IF_ERROR(once(change.old_path));
    }
  }
  planned_.reserve(changes.size());
  for (Change& change : changes) {
    std::string refused = RefusalOf(change.entry.path);
    if (change.kind != ChangeKind::kRenamed) {
      Add(std::move(change), std::move(refused));
      continue;
    }
    std::string old_refused = RefusalOf(change.old_path);
    if (refused.empty() && old_refused.empty()) {
      Add(std::move(change), std::string());
      continue;
    }
    // Half of the rename cannot be stored: the old path goes, the new one
    // comes, each on its own, so the rows still follow the tree.
    Change deleted;
    deleted.kind = ChangeKind::kDeleted;
    deleted.entry = change.entry;
    deleted.entry.path = std::move(change.old_path);
    change.kind = ChangeKind::kAdded;
    change.old_path.clear();
    Add(std::move(deleted), std::move(old_refused));
    Add(std::move(change), std::move(refused));
  }
  return Status::Ok();
}

}  // namespace tether::sync

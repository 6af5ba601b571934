// ChangeSet: a provider's change set as the write phase applies it, checked
// and put in the shape the storage can apply exactly. ChangePlanner does
// the same one change at a time, for a change set streamed into the write
// (a first sync's), with the check of each path once kept for the end.
//
//   - Each path appears at most once, on either side of any change (a
//     rename names two paths). A change set that names a path twice comes
//     from a tree with a duplicate entry or from a buggy provider; it is
//     refused whole, naming the path and the provider, so that nothing is
//     stored from it.
//   - Every entry has a blob id the SDK allows (provider.h: non-empty
//     printable ASCII); a set with another is refused whole, like a
//     duplicate path.
//   - A path the engine refuses to store (see CheckRepositoryPath) is
//     marked refused, with its reason, and skipped by the write.
//   - A rename one half of which is refused becomes a delete of the old path
//     and an add of the new one, and only the refused half is skipped: the
//     stored rows then still match the commit's tree.
//
// Thread safety: a ChangeSet or a ChangePlanner is built on one thread;
// afterwards a ChangeSet's const methods may be called from any thread.
#ifndef TETHER_ENGINE_SYNC_CHANGE_SET_H_
#define TETHER_ENGINE_SYNC_CHANGE_SET_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "engine/db/run_store.h"
#include "tether/status.h"
#include "tether/types.h"

namespace tether::sync {

struct PlannedChange {
  Change change;
  // Empty for a change the write applies; otherwise why its path is
  // refused (the message names the path, escaped).
  std::string refused;
};

class ChangePlanner {
 public:
  explicit ChangePlanner(std::string provider) : provider_(std::move(provider)) {}

  // Checks `change` and appends what the write does with it to `*out`: one
  // planned change, or two for a rename with a refused half. Internal,
  // naming the path and the provider, for a blob id the SDK does not allow
  // (nothing appended).
  Status Plan(Change change, std::vector<PlannedChange>* out);

  // Calls `visit` with every path of every change planned, in any order;
  // returns the provider's error.
  using ListPaths = std::function<Status(const std::function<void(const std::string& path)>& visit)>;
  // After the last change: Internal, naming the path and the provider, when
  // a path was planned twice. Only then (or on a collision of the 8-byte
  // keys kept per path) are the paths listed again through `list`.
  Status CheckPathsOnce(const ListPaths& list);

  // What applying the planned changes does, by kind; refused changes count
  // as skipped. bytes_read is 0.
  const db::RunCounts& counts() const { return counts_; }

 private:
  void Add(Change change, std::string refused, std::vector<PlannedChange>* out);

  std::string provider_;
  std::deque<uint64_t> keys_;  // a hash of each path planned: 8 bytes a path
  db::RunCounts counts_;
};

class ChangeSet {
 public:
  ChangeSet() = default;

  // Checks `changes` from the provider called `provider` and takes them.
  // Internal (naming the path and the provider) when a path appears twice
  // or has no valid blob id; the set is then left empty.
  Status Build(const std::string& provider, std::vector<Change> changes);

  const std::vector<PlannedChange>& changes() const { return planned_; }
  // What applying the set does, by kind; refused changes count as skipped.
  // bytes_read is 0: it is known only once the blobs are read.
  const db::RunCounts& counts() const { return counts_; }
  size_t size() const { return planned_.size(); }
  bool empty() const { return planned_.empty(); }

 private:
  std::vector<PlannedChange> planned_;
  db::RunCounts counts_;
};

}  // namespace tether::sync

#endif  // TETHER_ENGINE_SYNC_CHANGE_SET_H_

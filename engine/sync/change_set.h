// ChangeSet: a provider's change set as the write phase applies it, checked
// and put in the shape the storage can apply exactly.
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
// Thread safety: a ChangeSet is built on one thread; afterwards its const
// methods may be called from any thread.
#ifndef TETHER_ENGINE_SYNC_CHANGE_SET_H_
#define TETHER_ENGINE_SYNC_CHANGE_SET_H_

#include <cstddef>
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
  void Add(Change change, std::string refused);

  std::vector<PlannedChange> planned_;
  db::RunCounts counts_;
};

}  // namespace tether::sync

#endif  // TETHER_ENGINE_SYNC_CHANGE_SET_H_

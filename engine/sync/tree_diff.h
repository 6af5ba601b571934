// DiffToHead: the change set that takes a project's stored rows from the
// commit they were synced at (the cursor) to another commit of its
// repository, as a sync and a branch selection's preview compute it:
//
//   no cursor                      -> every entry of the head, added
//   cursor an ancestor of the head -> the provider's diff cursor..head
//   otherwise, or `compare_stored` -> the head's whole tree against the
//                                     stored rows: a row whose blob and mode
//                                     did not change gives no change (its
//                                     derived data stays); a stored blob
//                                     that reappears at a new path is a
//                                     rename
//
// The changes are held (metadata only, never content): the write knows its
// total, and the diff is timed apart from it; an incremental diff holds
// O(changes) entries.
//
// Thread safety: one call per Repository at a time; the storage is called
// as its contract allows.
#ifndef TETHER_ENGINE_SYNC_TREE_DIFF_H_
#define TETHER_ENGINE_SYNC_TREE_DIFF_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "tether/provider.h"
#include "tether/status.h"
#include "tether/storage.h"
#include "tether/types.h"

namespace tether::sync {

enum class DiffBasis {
  kNothing,     // no cursor
  kAncestor,    // the provider's diff from the cursor
  kStoredRows,  // the tree against the stored rows
};

struct DiffHooks {
  // Asked at each entry; an error stops the diff and is returned. May be
  // empty.
  std::function<Status()> check;
  // How many entries the diff has gone through so far. May be empty.
  std::function<void(int64_t seen)> progress;
};

// Fills `changes` (see above) and says how they were found. Errors: the
// provider's, the storage's, and the hooks'.
Result<DiffBasis> DiffToHead(Repository* repo, Storage* storage, const ProjectRef& project, const CommitId& cursor,
                             const CommitId& head, bool compare_stored, const DiffHooks& hooks,
                             std::vector<Change>* changes);

}  // namespace tether::sync

#endif  // TETHER_ENGINE_SYNC_TREE_DIFF_H_

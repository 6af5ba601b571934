// Garbage collection of analysis results: `tether gc` and the server's
// periodic run. Results are kept while any current document of their
// tenant needs them and for a grace period after (so that a branch switched
// back reuses them); a sync never removes one.
//
// Thread safety: one call per Database at a time (db::Database is not
// thread safe); the storages follow their own contract.
#ifndef TETHER_ENGINE_ANALYZE_COLLECT_UNUSED_H_
#define TETHER_ENGINE_ANALYZE_COLLECT_UNUSED_H_

#include <cstdint>

#include "engine/db/database.h"
#include "engine/plugin_host/plugin_host.h"
#include "tether/status.h"

namespace tether::analyze {

// For every (storage, tenant) holding projects `db` sees, removes the
// results no current document has needed for `grace_seconds`, counted from
// when a collection first saw them unused; results of another version or
// settings of a loaded analyzer count as unneeded, those of an analyzer not
// configured now do not. Returns how many it removed.
// Errors: the database's or a storage's; what was removed before stays
// removed.
Result<int64_t> CollectUnusedResults(db::Database* db, const plugin_host::PluginHost& plugins, int64_t grace_seconds);

}  // namespace tether::analyze

#endif  // TETHER_ENGINE_ANALYZE_COLLECT_UNUSED_H_

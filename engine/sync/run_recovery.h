// Recovery of runs whose process is gone: a `tether serve` or `tether sync`
// that crashed or was killed (SIGKILL, OOM, power loss) leaves its runs
// "running", its projects "running" and its leases held. A new run of such
// a project takes the lease over by itself (see lease_owner.h); this puts
// everything right at once, for `tether serve` when it starts, so that no
// project shows a run that will never end.
//
// What it changes, per project whose status is "running" and whose lease is
// held by a process of this host that is gone, or is no longer live: the
// lease is released, the runs still "running" become "interrupted", and the
// project's status becomes "failed" with the reason. A run whose write had
// committed before its process died (the cursor is at its planned commit)
// is recorded "succeeded" instead, and its project "synced". Cursors and
// documents are not touched: a run that never committed changed nothing.
//
// Thread safety: none beyond the Database's. Errors: the database's.
#ifndef TETHER_ENGINE_SYNC_RUN_RECOVERY_H_
#define TETHER_ENGINE_SYNC_RUN_RECOVERY_H_

#include <string>
#include <vector>

#include "engine/db/database.h"
#include "engine/plugin_host/plugin_host.h"
#include "tether/status.h"

namespace tether::sync {

// Returns the names of the projects it put right.
Result<std::vector<std::string>> RecoverAbandonedRuns(db::Database* db, const plugin_host::PluginHost& plugins);

}  // namespace tether::sync

#endif  // TETHER_ENGINE_SYNC_RUN_RECOVERY_H_

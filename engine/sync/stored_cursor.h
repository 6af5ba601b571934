// The cursor of a project -- the last commit it synced -- as its storage
// plugin keeps it. The storage owns the cursor (it commits it with the
// documents); everything in the engine that shows or compares it reads it
// here.
//
// Thread safety: as Storage::ReadCursor (any thread).
// Errors: those of PluginHost::FindStorage and Storage::ReadCursor.
#ifndef TETHER_ENGINE_SYNC_STORED_CURSOR_H_
#define TETHER_ENGINE_SYNC_STORED_CURSOR_H_

#include "engine/db/project_store.h"
#include "engine/plugin_host/plugin_host.h"
#include "tether/status.h"
#include "tether/types.h"

namespace tether::sync {

// The project's cursor; empty when it never synced.
Result<CommitId> StoredCursor(const plugin_host::PluginHost& plugins, const db::Project& project);

// The same, empty also when the storage cannot say: for showing a project,
// and for recovery, which then treats every unfinished run as interrupted.
CommitId StoredCursorOrEmpty(const plugin_host::PluginHost& plugins, const db::Project& project);

}  // namespace tether::sync

#endif  // TETHER_ENGINE_SYNC_STORED_CURSOR_H_

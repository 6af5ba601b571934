// The cursor of a project -- the last commit it synced -- as its storage
// plugin keeps it. The storage owns the cursor (it commits it with the
// documents); everything in the engine that shows or compares it reads it
// here, and tells the storage which writes may still move it (the fence).
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

// Tells the project's storage that the lease is now at `epoch`, so that it
// refuses writes begun under an older one (Storage::Fence). OK without
// doing anything on a storage built before ABI 3.4 (its writes are not
// fenced; the cursor check still refuses a second write of one commit).
Status FenceOlderWrites(const plugin_host::PluginHost& plugins, const db::Project& project, int64_t epoch);

}  // namespace tether::sync

#endif  // TETHER_ENGINE_SYNC_STORED_CURSOR_H_

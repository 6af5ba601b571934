#include "engine/sync/stored_cursor.h"

#include "tether/storage.h"

namespace tether::sync {

Result<CommitId> StoredCursor(const plugin_host::PluginHost& plugins, const db::Project& project) {
  Result<Storage*> storage = plugins.FindStorage(project.storage);
  if (!storage.ok()) return storage.status();
  return (*storage)->ReadCursor(ProjectRef{project.id, project.tenant_id});
}

CommitId StoredCursorOrEmpty(const plugin_host::PluginHost& plugins, const db::Project& project) {
  Result<CommitId> cursor = StoredCursor(plugins, project);
  return cursor.ok() ? *cursor : CommitId();
}

Status FenceOlderWrites(const plugin_host::PluginHost& plugins, const db::Project& project, int64_t epoch) {
  Result<Storage*> storage = plugins.FindStorage(project.storage);
  if (!storage.ok()) return storage.status();
  if (!plugins.StorageFences(project.storage)) return Status::Ok();
  return (*storage)->Fence(ProjectRef{project.id, project.tenant_id}, epoch);
}

}  // namespace tether::sync

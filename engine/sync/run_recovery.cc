#include "engine/sync/run_recovery.h"

#include "engine/db/project_store.h"
#include "engine/db/run_store.h"
#include "engine/sync/lease_owner.h"
#include "engine/sync/run_states.h"
#include "engine/sync/stored_cursor.h"

namespace tether::sync {

Result<std::vector<std::string>> RecoverAbandonedRuns(db::Database* db, const plugin_host::PluginHost& plugins) {
  db::ProjectStore projects(db);
  db::RunStore runs(db);
  Result<std::vector<db::Project>> all = projects.List();
  if (!all.ok()) return all.status();
  std::vector<std::string> recovered;
  for (const db::Project& project : *all) {
    if (ParseProjectStatus(project.status) != ProjectStatus::kRunning) continue;
    Result<std::string> holder = projects.LiveLeaseOwner(project.id);
    if (!holder.ok()) return holder.status();
    if (!holder->empty() && !LeaseOwnerIsGone(*holder)) continue;  // a run that is going on
    const std::string recovery = NewLeaseOwner();
    // Taken over first, so that a run claiming the project meanwhile is
    // never undone: whoever holds the lease decides.
    Result<db::LeaseGrant> taken = projects.AcquireLease(project.id, recovery, "", 60, *holder);
    if (!taken.ok()) return taken.status();
    if (!taken->acquired) continue;
    // A lease never released: fence off any write its run may still make.
    if (!taken->taken_from.empty()) {
      Status fenced = FenceOlderWrites(plugins, project, taken->epoch);
      if (!fenced.ok()) {
        Status released = projects.ReleaseLease(project.id, recovery);
        if (!released.ok()) return released;
        return fenced.WithContext("project " + project.name + ": fencing off its interrupted run");
      }
    }
    // Empty when the storage cannot say: every run is then interrupted.
    const CommitId cursor = StoredCursorOrEmpty(plugins, project);
    Status done = db->InTransaction([&]() -> Status {
      Result<db::RunStore::Ended> ended = runs.MarkInterrupted(project.id, 0, cursor);
      if (!ended.ok()) return ended.status();
      // A run whose write committed before its process died synced the
      // project all the same.
      TETHER_RETURN_IF_ERROR(
          ended->recovered > 0 && ended->interrupted == 0
              ? projects.MarkSynced(project.id)
              : projects.SetStatus(project.id, ToString(ProjectStatus::kFailed),
                                   "its last run was interrupted: the process running it stopped before it finished"));
      return projects.ReleaseLease(project.id, recovery);
    });
    if (!done.ok()) return done;
    recovered.push_back(project.name);
  }
  return recovered;
}

}  // namespace tether::sync

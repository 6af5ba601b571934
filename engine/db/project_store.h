// ProjectStore: the projects table and each project's project_syncs row
// (what to sync from where, its status, and the run lease).
//
// Thread safety: none; one ProjectStore per Database, used by one thread.
// Names: a project is named within its tenant (two tenants may each have a
// project "web"), so every lookup by name says in which tenant.
//
// Errors: NotFound for an unknown project (naming it), Conflict for a name
// the tenant already uses, InvalidArgument for a bad name, Unavailable/
// Internal for database failures. A failed call changes nothing.
#ifndef TETHER_ENGINE_DB_PROJECT_STORE_H_
#define TETHER_ENGINE_DB_PROJECT_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/db/database.h"
#include "tether/status.h"

namespace tether::db {

struct Project {
  int64_t id = 0;
  std::string name;
  std::string tenant_id;
  std::string created_at;
  // project_syncs
  std::string provider;
  std::string storage;
  std::string repo_url;
  std::string branch;
  bool sync_enabled = true;
  std::string status;  // never_synced, running, synced, failed, branch_missing
  // (The last synced commit is the storage's: sync::StoredCursor.)
  std::string last_error;
  std::string last_synced_at;
  // A sync was asked for while a run held the project, and that run has
  // not taken the request yet (it is still going, or its process died).
  bool resync_requested = false;
  // Its schedule as stored (schedule::ParseSchedule reads it; "" follows
  // the config's default), when its next scheduled sync is due and when a
  // run last found its branch moved (unix seconds).
  std::string schedule;
  std::optional<int64_t> next_sync_at;
  std::optional<int64_t> head_changed_at;
};

// A project whose scheduled sync is due.
struct DueProject {
  int64_t id = 0;
  std::string tenant_id;
  std::string name;
};

struct NewProject {
  std::string name;
  std::string tenant_id;  // empty: the connection's (ConnectionTenant)
  std::string provider;
  std::string storage;
  std::string repo_url;
  std::string branch;
};

// Project names: 1 to 100 characters of [A-Za-z0-9._-], not starting with '.' or '-'.
Status ValidateProjectName(const std::string& name);

// The tenant a connection acts for when none is named: on PostgreSQL the
// tether.tenant setting (from the URL's options, or auth::BindTenant; see
// migrations/postgres/0002_tenant_isolation.sql), "default" when unset; on
// SQLite "default".
Result<std::string> ConnectionTenant(Database* db);

class ProjectStore {
 public:
  explicit ProjectStore(Database* db) : db_(db) {}

  Result<Project> Add(const NewProject& project);
  Result<Project> Get(const std::string& tenant_id, const std::string& name);
  Result<Project> GetById(int64_t id);
  // Every project the connection may see, of every tenant, by name.
  Result<std::vector<Project>> List();
  // Deletes the project with everything of the engine's under it (its sync
  // settings, runs, events). What its storage keeps is the storage's to
  // forget (Storage::DeleteProject), before this.
  Status Remove(int64_t project_id);
  Status SetBranch(int64_t project_id, const std::string& branch);
  Status SetEnabled(int64_t project_id, bool enabled);
  Status SetStatus(int64_t project_id, const std::string& status, const std::string& error);
  // Sets the project's own schedule (nullopt: the config's default) and
  // when its next scheduled sync is due (nullopt: not scheduled).
  Status SetSchedule(int64_t project_id, const std::optional<std::string>& schedule,
                     std::optional<int64_t> next_sync_at);
  // After a run: when the next scheduled sync is due, and (when given) when
  // the branch was found moved.
  Status SetNextSync(int64_t project_id, std::optional<int64_t> next_sync_at,
                     std::optional<int64_t> head_changed_at);
  // Enabled projects, of every tenant, whose scheduled sync is due at `now`
  // and which no live lease holds, the longest due first, at most `limit`.
  // A project without a schedule of its own is scheduled when
  // `default_scheduled`; one never scheduled yet is due at once.
  Result<std::vector<DueProject>> ListDue(int64_t now, bool default_scheduled, int limit);
  // How many projects ListDue would give without a limit, and the earliest
  // due time among them (nullopt when none; a project never scheduled
  // counts as due at `now`).
  Result<std::pair<int64_t, std::optional<int64_t>>> CountDue(int64_t now, bool default_scheduled);

  // Records a successful sync: status "synced", no error, last_synced_at now.
  Status MarkSynced(int64_t project_id);

  // Projects without their sync settings (a project_syncs row), which an
  // older schema could leave: id and name, by name.
  Result<std::vector<std::pair<int64_t, std::string>>> WithoutSyncSettings();
  // Gives such a project sync settings that need an operator: disabled,
  // status needs_setup, no repository or branch, the given plugins.
  Status AddMissingSyncSettings(int64_t project_id, const std::string& provider, const std::string& storage);

  // Takes the project's run lease for `owner` until now + `ttl_seconds`.
  // Returns false (not an error) when another owner holds a live lease.
  Result<bool> TryAcquireLease(int64_t project_id, const std::string& owner, int64_t ttl_seconds);
  // The owner of the project's live (unexpired) lease; empty when there is
  // none. A read, so that a run that is going on is told apart without
  // waiting for the write lock (which, on SQLite, that very run may hold for
  // as long as it writes).
  Result<std::string> LiveLeaseOwner(int64_t project_id);
  // Takes the lease over from `from_owner` (whose process is gone) for
  // `owner`; false (not an error) when `from_owner` no longer holds it.
  Result<bool> TakeOverLease(int64_t project_id, const std::string& from_owner, const std::string& owner,
                             int64_t ttl_seconds);
  // Releases `owner`'s lease, leaving any resync request for the next run.
  Status ReleaseLease(int64_t project_id, const std::string& owner);

  // Clears the project's resync request: called by a sync run that has just
  // claimed the project, since it syncs to the branch head as it is now.
  Status TakeResyncRequest(int64_t project_id);
  // Asks the run that holds the project's live lease for one more run after
  // it; any number of requests during one run make one more run. False,
  // changing nothing, when no live lease is held (the caller may claim the
  // project itself: nobody would see the request).
  Result<bool> RequestResync(int64_t project_id);
  // Releases `owner`'s lease and takes the project's resync request, in one
  // transaction (so that a request is seen either here or, after the lease
  // is gone, by its maker): true when a run was asked for during this one.
  // The caller then runs the project again.
  Result<bool> EndLease(int64_t project_id, const std::string& owner);

 private:
  Status Update(int64_t project_id, const std::string& set_clause, const std::string& value);

  Database* db_;
};

}  // namespace tether::db

#endif  // TETHER_ENGINE_DB_PROJECT_STORE_H_

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
  // A sync asked for that no run has taken yet (RequestSync).
  bool sync_requested = false;
  // The worker process (WorkerStore) whose run holds the lease; empty when
  // none does, or a process that is not a registered worker (`tether sync`).
  std::string lease_worker;
};

// What AcquireLease did.
struct LeaseGrant {
  bool acquired = false;
  int64_t epoch = 0;  // the lease's epoch now, when acquired
  // When acquired: the owner of a lease that was never released (it
  // expired, or its process is gone), whose run may still be writing: its
  // storage writes must be fenced off. Empty when the lease was free.
  std::string taken_from;
};

// Which waiting projects LockWork picks, and the limits every worker
// shares through the database.
struct WorkFilter {
  int64_t now = 0;  // unix seconds
  bool default_scheduled = false;  // projects without a schedule follow the config's default
  // At most this many live leases over all projects (0: no limit).
  int max_running = 0;
  // At most this many live leases per provider plugin name.
  std::vector<std::pair<std::string, int>> provider_limits;
};

// A project waiting for a run: asked for (a request), or due by its
// schedule; its row locked by LockWork.
struct NextWork {
  Project project;  // as it is before the claim
  bool requested = false;
  std::string trigger;  // the request's; "schedule" for a due one
  int64_t lease_epoch = 0;
  // The owner of a lease left to expire (its process died or froze): its
  // run may still be writing. Empty when the lease is free.
  std::string lease_owner;
  // Runs of the project still recorded running (of a process that died).
  bool unfinished_runs = false;
};

// What the end of a run leaves in its project's row (ProjectStore::EndRun).
struct RunEnd {
  std::string status;
  std::string error;  // the project's last error; empty: none
  bool synced = false;  // last_synced_at becomes now
  std::optional<int64_t> next_sync_at;  // when its next scheduled sync is due (nullopt: not scheduled)
  std::optional<int64_t> head_changed_at;  // recorded when given
  bool keep_resync = false;  // a resync request stays for the next run (a cancelled run)
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
  // How many enabled projects, of every tenant, no live lease holds and
  // whose scheduled sync is due at `now` (a project without a schedule of
  // its own is scheduled when `default_scheduled`), and the earliest due
  // time among them (nullopt when none; a project never scheduled counts as
  // due at `now`).
  Result<std::pair<int64_t, std::optional<int64_t>>> CountDue(int64_t now, bool default_scheduled);

  // Records a successful sync: status "synced", no error, last_synced_at now.
  Status MarkSynced(int64_t project_id);

  // Projects without their sync settings (a project_syncs row), which an
  // older schema could leave: id and name, by name.
  Result<std::vector<std::pair<int64_t, std::string>>> WithoutSyncSettings();
  // Gives such a project sync settings that need an operator: disabled,
  // status needs_setup, no repository or branch, the given plugins.
  Status AddMissingSyncSettings(int64_t project_id, const std::string& provider, const std::string& storage);

  // Takes the project's run lease for `owner` (run by the worker process
  // `worker`, may be empty) until now + `ttl_seconds`, raising its epoch.
  // It is free when nobody holds it, when its holder let it expire (did not
  // renew it in time), or when its holder is `gone_owner` (a process the
  // caller knows is dead). Not acquired (not an error) when another owner
  // holds a live lease.
  Result<LeaseGrant> AcquireLease(int64_t project_id, const std::string& owner, const std::string& worker,
                                  int64_t ttl_seconds, const std::string& gone_owner = "");
  // The owner of the project's live (unexpired) lease; empty when there is
  // none. A read, so that a run that is going on is told apart without
  // waiting for the write lock (which, on SQLite, that very run may hold for
  // as long as it writes).
  Result<std::string> LiveLeaseOwner(int64_t project_id);
  // Extends `owner`'s lease to now + `ttl_seconds`; false (not an error)
  // when `owner` no longer holds it (it expired and another run took it).
  Result<bool> RenewLease(int64_t project_id, const std::string& owner, int64_t ttl_seconds);
  // Whether `owner` holds the project's lease (nullopt when not), and then
  // whether another sync was asked for during its run (RequestResync);
  // locks the row for the rest of the caller's transaction (PostgreSQL) so
  // that nobody takes the lease over before that transaction ends.
  Result<std::optional<bool>> LockOwnLease(int64_t project_id, const std::string& owner);
  // The end of `owner`'s run in one statement: the project's status, error
  // and next due time, and its lease released (with any resync request
  // taken unless `end.keep_resync`). Changes nothing when `owner` does not
  // hold the lease.
  Status EndRun(int64_t project_id, const std::string& owner, const RunEnd& end);
  // Releases `owner`'s lease, leaving any resync request for the next run.
  Status ReleaseLease(int64_t project_id, const std::string& owner);

  // Asks any worker for a sync of the project (recorded with `trigger`),
  // and wakes waiting workers (PostgreSQL: NOTIFY tether_sync on commit).
  // Requests made before a run claims the project make one run; the oldest
  // request goes first. Changes nothing when one is already waiting.
  Status RequestSync(int64_t project_id, const std::string& trigger);
  // The next projects a worker should run, at most `limit`, their rows
  // locked for the caller's open transaction (PostgreSQL: FOR UPDATE SKIP
  // LOCKED, so that other workers pass them by): enabled, no live lease,
  // asked for or due, not waiting for a rate limit; requests first (oldest
  // first), then the tenant with the fewest live leases (so one tenant's
  // thousands of projects cannot starve another's; in a batch, each pick
  // counts for its tenant as a claim would), then the longest due. On
  // PostgreSQL each tenant's first few candidates come from indexes
  // (migration 0015): a claim reads a few index rows per tenant, never
  // every waiting project.
  // Empty when nothing waits or the limits are reached (a batch stays within
  // them). The caller leases them (LeaseWork) in the same transaction.
  Result<std::vector<NextWork>> LockWork(const WorkFilter& filter, int limit);
  // Takes the lease of a project LockWork returned for `owner` (as
  // AcquireLease: a new epoch; taken_from is the expired lease's owner),
  // and with `start` what a run does as it begins too: its sync and resync
  // requests taken (TakeResyncRequest) and its status made "running", in
  // one statement. Not acquired when its epoch moved since.
  Result<LeaseGrant> LeaseWork(const NextWork& work, const std::string& owner, const std::string& worker,
                               int64_t ttl_seconds, bool start);
  // How many projects wait for a worker (asked for or due, no live lease).
  Result<int64_t> CountWaiting(const WorkFilter& filter);
  // The name of the channel RequestSync notifies (PostgreSQL).
  static constexpr char kSyncChannel[] = "tether_sync";

  // Clears the project's resync and sync requests: called by a sync run that
  // has just claimed the project, since it syncs to the branch head as it is
  // now.
  Status TakeResyncRequest(int64_t project_id);
  // Asks the run that holds the project's live lease for one more run after
  // it; any number of requests during one run make one more run. False,
  // changing nothing, when no live lease is held (the caller may claim the
  // project itself: nobody would see the request).
  Result<bool> RequestResync(int64_t project_id);

 private:
  Status Update(int64_t project_id, const std::string& set_clause, const std::string& value);

  Database* db_;
};

}  // namespace tether::db

#endif  // TETHER_ENGINE_DB_PROJECT_STORE_H_

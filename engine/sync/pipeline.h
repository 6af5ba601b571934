// SyncPipeline: one sync of one project, through the phases of ARCHITECTURE.md ("The flow of one sync"):
// claim (lease) -> discover -> resolve -> diff -> write -> analyze ->
// finalize. Each phase is timed and emits events.
//
//   no cursor                     -> everything from nothing (mode "full")
//   cursor == branch head         -> nothing to do (mode "noop")
//   cursor an ancestor of head    -> diff cursor..head (mode "incremental")
//   cursor not an ancestor        -> force push: the new tree is compared
//                                    with the stored rows, and every row whose
//                                    blob did not change is kept (mode "force_push")
//   cursor synced from another    -> as the two above, named for what happened
//   branch (select-branch)           (mode "branch_switch")
//   `sync --full` (options.full)  -> a repair: the whole tree against the stored
//                                    rows, whatever the cursor (mode "full"); rows
//                                    whose blob did not change are kept
//
// A failed run never moves the cursor and never deletes a row: the storage
// applies the change set and the new cursor in one transaction.
//
// Cancelling (cancellation.h): a run stops when its CancelToken is set or a
// cancel request for it is recorded, seen before each phase, during the
// diff and the write, and last just before the storage commits. It then
// ends "cancelled": nothing written, the cursor where it was, the project's
// status as before the run, the lease released with the outcome.
//
// Thread safety: a SyncPipeline runs one sync at a time on the caller's
// thread. Several pipelines (each with its own Database) may run at once;
// the lease keeps them off the same project.
#ifndef TETHER_ENGINE_SYNC_PIPELINE_H_
#define TETHER_ENGINE_SYNC_PIPELINE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "engine/db/database.h"
#include "engine/db/project_store.h"
#include "engine/db/run_store.h"
#include "engine/plugin_host/plugin_host.h"
#include "engine/schedule/schedule.h"
#include "engine/sync/cancellation.h"
#include "engine/sync/event_log.h"
#include "engine/sync/run_states.h"
#include "tether/status.h"

namespace tether::sync {

struct SyncOptions {
  std::string trigger = "cli";
  uint64_t max_content_bytes = 1048576;
  // How long a claim holds the project's lease without renewal: the
  // runner sets the lease timeout when a LeaseKeeper renews its leases
  // (PostgreSQL), lease_seconds otherwise.
  int64_t lease_seconds = 3600;
  // The worker process running the syncs (WorkerStore), recorded on each
  // lease and run; empty for a process that is not a registered worker.
  std::string worker_id;
  // The analyze phase: whether it runs (every configured analyzer, after
  // the write committed, on noop runs too: an analysis stopped earlier
  // resumes), and its limits (engine/analyze/analyze_project.h).
  bool analyze = true;
  // Compare the whole tree with the stored rows whatever the cursor says
  // (`tether sync --full`: a repair).
  bool full = false;
  int64_t analyze_time_limit_ms = 30000;
  // Schedules (engine/schedule): what a project without its own follows,
  // and adaptive's bounds. Every run, whoever started it, sets when the
  // project's next scheduled sync is due.
  schedule::Schedule default_schedule;
  schedule::Limits schedule_limits;
  uint64_t analyze_max_bytes = 1048576;
  int analyze_threads = 0;
  int analyze_page_size = 256;
};

// A run that holds its project's lease and has a run row (outcome
// "running"), but has not executed yet. Claim makes one; RunClaimed or
// Abandon must consume it, or the lease stays taken until it expires.
struct ClaimedRun {
  db::Project project;
  std::string lease_owner;
  // The lease's epoch: the storage refuses a write made under it once a
  // newer run of the project fenced it (Storage::Fence).
  int64_t lease_epoch = 0;
  // The lease was taken over from a holder that never released it (it let
  // it expire, or its process died); its writes were fenced off.
  bool took_over = false;
  int64_t run_id = 0;
  std::string trigger;
  // The project's status was made "running" with the claim (ClaimWork);
  // otherwise the run does so as it starts. `project` is as it was before.
  bool marked_running = false;
};

struct SyncResult {
  std::string project;
  db::SyncRun run;      // run.id is 0 when no run was recorded (unknown project, busy)
  Status status;        // OK for succeeded and noop; for kCancelled, run.error as its message
  // What run.outcome and run.mode say, typed (kBusy and kFailed when no run
  // was recorded).
  RunOutcome outcome = RunOutcome::kFailed;
  SyncMode mode = SyncMode::kNone;
  double total_ms = 0;  // engine time, from claim to finalize
  // A sync of the project was asked for while this run held it (a webhook
  // push): whoever ran it runs the project once more.
  bool resync_requested = false;
  // The run's lease was taken over before it ended (it stopped renewing it
  // in time): the run that took it recorded this one, and the storage
  // refused this one's commit if it came that far.
  bool lease_lost = false;
};

// InvalidArgument for a sync of the disabled project `project_name`,
// saying how to enable it: what every way of starting one answers.
Status ProjectDisabled(const std::string& project_name);

class SyncPipeline {
 public:
  // Borrows everything; all must outlive the pipeline.
  SyncPipeline(db::Database* db, const plugin_host::PluginHost* plugins, EventLog* events,
               SyncOptions options);

  // Run in two steps, for callers that answer before the sync is done (the
  // HTTP API returns the run id at once): Claim takes the lease and records
  // the run; RunClaimed executes it. The two may use different pipelines
  // (each with its own Database) on different threads. Claim fails with
  // NotFound (unknown project), InvalidArgument (disabled project) or
  // Conflict (another run holds the lease), and then changes nothing.
  Result<ClaimedRun> Claim(const std::string& tenant_id, const std::string& project_name);
  // Claims up to `limit` of the projects that wait longest for a worker (a
  // requested sync first, then a due schedule; ProjectStore::LockWork says
  // which and keeps the limits), each recorded with its request's trigger
  // ("schedule" for a due one). Empty when nothing waits. Picks, leases,
  // requests taken and run records in one transaction; a project whose
  // lease is taken over or whose earlier runs are left running goes
  // through Begin after it (fenced, closed) as Claim's do.
  Result<std::vector<ClaimedRun>> ClaimWork(const db::WorkFilter& filter, int limit);
  // `lease_lost` (may be null) stops the run when set, like `cancel`.
  SyncResult RunClaimed(const ClaimedRun& claim, const CancelToken* cancel = nullptr,
                        const CancelToken* lease_lost = nullptr);

  // Gives up a claimed run that never executed: the run is recorded as
  // "interrupted" with `reason` and the lease is released. Nothing else
  // changes (the cursor and the documents were never touched).
  Status Abandon(const ClaimedRun& claim, const std::string& reason);

 private:
  // What follows a taken lease: requests answered, the run recorded, older
  // writes fenced off (a lease taken over), earlier runs closed.
  Result<ClaimedRun> Begin(db::Project project, ClaimedRun claim, const db::LeaseGrant& grant);

  db::Database* db_;
  const plugin_host::PluginHost* plugins_;
  EventLog* events_;
  SyncOptions options_;
};

}  // namespace tether::sync

#endif  // TETHER_ENGINE_SYNC_PIPELINE_H_

// SyncWorkers: the server's threads for syncs started through the API (and
// its webhook, and its retries). Start claims the project's run at once
// through the sync runner (engine/sync/sync_runner.h: the lease and a run
// row: the caller gets the run id, or Conflict when another run holds the
// project) and queues the run on a bounded pool of sync workers, each with
// its own database connection, where the runner runs it.
//
// CancelAll asks every running sync to stop (tether serve does on SIGTERM
// and SIGINT): each rolls back at its next check (engine/sync/
// cancellation.h) and is recorded "cancelled" with its lease released.
// Shutdown waits for running syncs to end (cancelled or not: a storage
// transaction is never cut, it commits or rolls back on its own) and
// abandons queued ones, recording them as "interrupted" and releasing their
// leases.
//
// Ownership: borrows the sync runner and the metrics (may be null; each
// finished run is recorded there); both must outlive the workers.
// Thread safety: every method may be called from any thread.
#ifndef TETHER_ENGINE_WORKERS_SYNC_WORKERS_H_
#define TETHER_ENGINE_WORKERS_SYNC_WORKERS_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engine/db/database.h"
#include "engine/workers/metrics.h"
#include "engine/workers/worker_pool.h"
#include "engine/sync/cancellation.h"
#include "engine/sync/sync_runner.h"
#include "tether/status.h"

namespace tether::workers {

class SyncWorkers {
 public:
  // The trigger recorded on runs a webhook asked for (sync_runs.trigger).
  static constexpr char kWebhookTrigger[] = "webhook";

  // `trigger` is recorded on the runs started without naming one ("api").
  SyncWorkers(sync::SyncRunner* runner, std::string trigger, int workers, int queue_capacity,
              Metrics* metrics = nullptr);
  ~SyncWorkers();  // Shutdown()

  // A claimed run with its place among the sync workers, not started yet.
  // Dropping it gives the place back; the claim (lease and run row) stays
  // unless the transaction it was made in rolls back.
  struct Claimed {
    WorkerPool::Ticket ticket;
    sync::ClaimedRun run;
  };

  // Claims a run of `project_name` using `db` (the caller's connection, in
  // the caller's transaction if one is open) and reserves its place.
  // Unavailable (nothing claimed) when every worker is busy and the queue is
  // full, or when shutting down (after CancelAll); otherwise the errors of SyncRunner::Claim.
  // The run's trigger is `trigger`, or the workers' own.
  Result<Claimed> Claim(db::Database* db, const std::string& tenant_id, const std::string& project_name);
  Result<Claimed> Claim(db::Database* db, const std::string& tenant_id, const std::string& project_name,
                        const std::string& trigger);
  // Queues a claimed run (once the transaction of its claim committed).
  void Submit(Claimed claimed);
  // Claims up to `most` of the projects that wait longest, as many as there
  // are free places (SyncRunner::ClaimWork: one transaction), and reserves
  // their places: empty when nothing waits; Unavailable (nothing claimed)
  // when every worker is busy and the queue is full, or when shutting down.
  Result<std::vector<Claimed>> ClaimWaiting(db::Database* db, const db::WorkFilter& filter, int most);
  // Claim + Submit; returns the run id. The run's trigger is `trigger`, or
  // (empty) the workers' own. See also StartOrRequest.
  Result<int64_t> Start(db::Database* db, const std::string& tenant_id, const std::string& project_name,
                        const std::string& trigger = "");

  // Start, or, when no worker of this process can take the run now (every
  // one busy, none configured, or shutting down) or, on PostgreSQL,
  // another run holds the project (one run follows it, however many ask
  // meanwhile; on SQLite that is Conflict, as its write lock is the running
  // write's), a request any
  // worker takes (ProjectStore::RequestSync; on PostgreSQL any process's,
  // woken at once): then 0. Errors as Claim's, but never Unavailable for a
  // full pool.
  Result<int64_t> StartOrRequest(db::Database* db, const std::string& tenant_id, const std::string& project_name,
                                 const std::string& trigger = "");
  // The request half of StartOrRequest, for a caller whose Claim answered
  // Unavailable: asks for a run of the project (enabled: InvalidArgument
  // otherwise, as Claim).
  Status Request(db::Database* db, const std::string& tenant_id, const std::string& project_name,
                 const std::string& trigger = "");

  // Returns at once. From then on Claim answers Unavailable (nothing new
  // starts: a schedule, a request or a webhook answered while the server
  // drains gets 503), a run claimed before and still queued is cancelled at
  // its first check, and retries are dropped.
  void CancelAll(sync::CancelReason reason);

  // Called (on the worker's thread) after each run ends and its place in
  // the pool is free again (also after a queued run a stop cancelled): the
  // scheduler's Wake, so that the free place is filled at once. Set it to
  // null before what it calls goes away.
  void OnRunEnd(std::function<void()> hook);

  // From now on a run stopped by CancelAll (rolled back) or never started
  // because of it is asked for again in the database (RequestSync, with its
  // trigger), so that another worker takes it at once: `tether worker`
  // hands its work back when it stops. Call before the first run.
  void HandBackOnStop() { hand_back_ = true; }

  void Shutdown();

  int running() const { return pool_.running(); }
  int queued() const { return pool_.queued(); }

 private:
  // A run that ended rate limited is started again once the provider's
  // retry-after has passed (with the trigger of the run it retries), and a
  // run during which another sync was asked for (RunClaimed's
  // resync_requested: only webhook pushes ask) at once, as a webhook run:
  // by a thread of its own, with its own connection. Dropped when the
  // project is gone, disabled or already running by then; tried again
  // shortly when the pool is full.
  void ScheduleRetry(const db::Project& project, int64_t after_seconds, const std::string& trigger);
  // Asks for the claim's project again (HandBackOnStop).
  void HandBack(db::Database* db, const sync::ClaimedRun& claim);
  void RetryLoop();

  std::mutex retry_mutex_;
  std::condition_variable retry_wake_;
  bool retry_stopping_ = false;
  struct Retry {
    std::string project, tenant, trigger;
  };
  std::multimap<std::chrono::steady_clock::time_point, Retry> retries_;  // by due time
  std::thread retry_thread_;

  bool hand_back_ = false;
  std::mutex hook_mutex_;
  std::function<void()> on_run_end_;  // under hook_mutex_
  sync::CancelToken stop_;  // set by CancelAll; every run checks it
  sync::SyncRunner* runner_;
  const std::string trigger_;
  Metrics* metrics_;
  const int workers_;  // 0: this process runs no syncs (serve --workers 0)
  WorkerPool pool_;
};

}  // namespace tether::workers

#endif  // TETHER_ENGINE_WORKERS_SYNC_WORKERS_H_

// Scheduler: the thread that gives a process's idle sync workers their
// work from the database: syncs asked for (by a person, the API or a
// webhook: ProjectStore::RequestSync) first, then syncs their schedules
// say are due (engine/schedule). One claim fills every idle worker at once:
// it picks, leases and records as many projects as there are idle workers
// in one transaction (SyncPipeline::ClaimWork, ProjectStore::LockWork:
// PostgreSQL's FOR UPDATE SKIP LOCKED, so that any number of processes on
// any number of machines share one queue, and the limits every worker
// shares). It looks every `poll`, and on PostgreSQL also at
// once when a sync is asked for (LISTEN/NOTIFY). When a run ends (whoever
// started it) the pipeline sets the project's next due time, so the
// scheduler keeps no state of its own: a restarted process, or another one
// on the same database, goes on where it was.
//
// `tether serve` runs one beside its sync workers; `tether worker` is one
// with its workers and nothing else.
//
// Ownership: borrows the sync workers and the metrics, which must outlive
// it. Thread safety: constructed and destroyed on one thread; it runs on
// its own, with its own database connections.
#ifndef TETHER_ENGINE_WORKERS_SCHEDULER_H_
#define TETHER_ENGINE_WORKERS_SCHEDULER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "engine/config/config.h"
#include "engine/db/project_store.h"
#include "shared/sql_notify.h"
#include "engine/workers/sync_workers.h"

namespace tether::workers {

// What the config says every worker's claims follow: whether projects
// without a schedule of their own are scheduled (defaults.schedule), and
// the limits of the workers section. `now` is left to the caller.
db::WorkFilter WorkFilterFrom(const config::Config& config);

class Scheduler {
 public:
  // The trigger recorded on the runs schedules start (sync_runs.trigger).
  static constexpr char kTrigger[] = "schedule";

  // Looks every `poll` (none at all when zero) for work matching `filter`
  // (its `now` is set at each look) for up to `sync_workers` runs at once.
  // `metrics` (may be null) counts the scheduled syncs it starts.
  Scheduler(std::string database_url, SyncWorkers* workers, int sync_workers, db::WorkFilter filter,
            std::chrono::milliseconds poll, Metrics* metrics = nullptr);
  ~Scheduler();  // stops the thread; runs it started go on in the workers

  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Look now (a run ended and a place is free).
  void Wake();

  // Runs `recover` on the scheduler's connection every `every`: the
  // recovery of runs whose process died on this host (sync::
  // RecoverAbandonedRuns), whose leases would otherwise hold their
  // projects until they expire.
  void RecoverEvery(std::chrono::seconds every, std::function<void(db::Database*)> recover);

 private:
  void Loop();
  // Starts what waits, on the idle workers; the number started.
  int StartWaiting(db::Database* db);
  // Waits for the next look: `poll_`, a notification or Wake(); false once stopping.
  bool WaitForWork(db::Database* db);
  // Ends a wait on the notification socket (Wake, the destructor).
  void Interrupt();

  const std::string url_;
  SyncWorkers* const workers_;
  Metrics* const metrics_;
  const int sync_workers_;
  db::WorkFilter filter_;
  const std::chrono::milliseconds poll_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool woken_ = false;
  std::unique_ptr<db::SqlNotifications> listener_;  // the loop's (PostgreSQL)
  int wake_fd_ = -1;  // an eventfd Wake() writes to: it ends a wait on the listener at once
  std::chrono::seconds recover_every_{0};            // under mutex_
  std::function<void(db::Database*)> recover_;       // under mutex_
  std::chrono::steady_clock::time_point recovered_;  // the loop's
  std::thread thread_;
};

}  // namespace tether::workers

#endif  // TETHER_ENGINE_WORKERS_SCHEDULER_H_

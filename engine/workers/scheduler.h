// Scheduler: the server's thread that starts the syncs schedules say are
// due (engine/schedule). Every poll it asks the database for enabled
// projects whose next scheduled sync is due and that no run holds
// (ProjectStore::ListDue) and starts them on the sync workers with trigger
// "schedule" -- only as many as there are idle workers, so that a sync a
// person, the API or a webhook asks for always finds a place first. When a
// run ends (whoever started it) the pipeline sets the project's next due
// time, so the scheduler keeps no state of its own: a restarted server, or
// another one on the same database, goes on where it was.
//
// Ownership: borrows the sync workers, which must outlive it. Thread
// safety: constructed and destroyed on one thread; it runs on its own, with
// its own database connection.
#ifndef TETHER_ENGINE_WORKERS_SCHEDULER_H_
#define TETHER_ENGINE_WORKERS_SCHEDULER_H_

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "engine/workers/sync_workers.h"

namespace tether::workers {

class Scheduler {
 public:
  // The trigger recorded on the runs it starts (sync_runs.trigger).
  static constexpr char kTrigger[] = "schedule";

  // Polls every `poll` (none when zero); `default_scheduled`: whether the
  // config's default schedule is on (projects without their own follow it).
  // `metrics` (may be null) gets what each look saw.
  Scheduler(std::string database_url, SyncWorkers* workers, int sync_workers, bool default_scheduled,
            std::chrono::milliseconds poll, Metrics* metrics = nullptr);
  ~Scheduler();  // stops the thread; runs it started go on in the workers

  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

 private:
  void Loop();
  // Starts what is due; the number started.
  int StartDue(db::Database* db);

  const std::string url_;
  SyncWorkers* const workers_;
  Metrics* const metrics_;
  const int sync_workers_;
  const bool default_scheduled_;
  const std::chrono::milliseconds poll_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace tether::workers

#endif  // TETHER_ENGINE_WORKERS_SCHEDULER_H_

#include "engine/workers/scheduler.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "engine/auth/tenant_session.h"
#include "engine/db/project_store.h"
#include "engine/log/log.h"
#include "shared/clock.h"

namespace tether::workers {

Scheduler::Scheduler(std::string database_url, SyncWorkers* workers, int sync_workers, bool default_scheduled,
                     std::chrono::milliseconds poll, Metrics* metrics)
    : url_(std::move(database_url)),
      workers_(workers),
      metrics_(metrics),
      sync_workers_(sync_workers),
      default_scheduled_(default_scheduled),
      poll_(poll) {
  if (poll_.count() > 0 && sync_workers_ > 0) thread_ = std::thread([this] { Loop(); });
}

Scheduler::~Scheduler() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Scheduler::Loop() {
  std::unique_ptr<db::Database> db;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, poll_, [this] { return stop_; })) {
    lock.unlock();
    if (!db) {
      Result<std::unique_ptr<db::Database>> opened = db::Database::Open(url_);
      if (opened.ok()) {
        db = std::move(opened).value();
      } else {
        logging::LogWarning("the scheduler cannot open the database (it tries again): " + opened.status().ToString());
      }
    }
    if (db) StartDue(db.get());
    lock.lock();
  }
}

int Scheduler::StartDue(db::Database* db) {
  const int64_t now = NowUnixSeconds();
  int started = 0;
  if (metrics_ != nullptr) {
    // What was due before this look started anything: the queue and its lag.
    Result<std::pair<int64_t, std::optional<int64_t>>> waiting = db::ProjectStore(db).CountDue(now, default_scheduled_);
    if (waiting.ok()) {
      const int64_t lag = waiting->second ? std::max<int64_t>(0, now - *waiting->second) : 0;
      metrics_->RecordScheduleQueue(waiting->first, lag);
    }
  }
  const int idle = sync_workers_ - workers_->running() - workers_->queued();
  if (idle <= 0) return 0;
  Result<std::vector<db::DueProject>> due = db::ProjectStore(db).ListDue(now, default_scheduled_, idle);
  if (!due.ok()) {
    logging::LogWarning("the scheduler cannot list the projects due (it tries again): " + due.status().ToString());
    return 0;
  }
  for (const db::DueProject& p : *due) {
    Status bound = auth::BindTenant(db, p.tenant_id);
    Result<int64_t> run = bound.ok() ? workers_->Start(db, p.tenant_id, p.name, kTrigger) : Result<int64_t>(bound);
    if (run.ok()) {
      ++started;
      if (metrics_ != nullptr) metrics_->RecordScheduledStart();
      continue;
    }
    // Busy (another run got there first) or no place left: the next poll
    // sees it again, or the run that holds it sets its next time.
    if (run.status().code() == StatusCode::kConflict) continue;
    if (run.status().code() == StatusCode::kUnavailable) break;
    // Anything else would come back at every poll: the project waits a
    // minute, and the log says why once a minute at most.
    logging::LogWarning("project " + p.name + ": its scheduled sync could not start (tried again in a minute): " +
                            run.status().ToString(),
                        {{"project", p.name}});
    (void)db::ProjectStore(db).SetNextSync(p.id, NowUnixSeconds() + 60, std::nullopt);
  }
  return started;
}

}  // namespace tether::workers

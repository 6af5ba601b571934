#include "engine/workers/scheduler.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "engine/log/log.h"
#include "engine/schedule/schedule.h"
#include "shared/clock.h"
#include "shared/sql_notify.h"

namespace tether::workers {
namespace {

// How long one wait on the notification socket lasts at most, so that a
// stop is seen soon.
constexpr std::chrono::milliseconds kListenSlice{200};

}  // namespace

db::WorkFilter WorkFilterFrom(const config::Config& config) {
  db::WorkFilter filter;
  filter.default_scheduled =
      schedule::Effective(config.defaults.schedule, schedule::Schedule()).kind != schedule::ScheduleKind::kOff;
  filter.max_running = config.workers.max_running_syncs;
  filter.provider_limits = config.workers.provider_limits;
  return filter;
}

Scheduler::Scheduler(std::string database_url, SyncWorkers* workers, int sync_workers, db::WorkFilter filter,
                     std::chrono::milliseconds poll, Metrics* metrics)
    : url_(std::move(database_url)),
      workers_(workers),
      metrics_(metrics),
      sync_workers_(sync_workers),
      filter_(std::move(filter)),
      poll_(poll) {
  // Non-blocking: the listener's wait reads it empty.
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (poll_.count() > 0 && sync_workers_ > 0) thread_ = std::thread([this] { Loop(); });
}

Scheduler::~Scheduler() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  Interrupt();
  if (thread_.joinable()) thread_.join();
  if (wake_fd_ >= 0) close(wake_fd_);
}

void Scheduler::Interrupt() {
  if (wake_fd_ < 0) return;
  const uint64_t one = 1;
  // A full counter (never, in practice) still leaves it readable.
  [[maybe_unused]] const ssize_t written = write(wake_fd_, &one, sizeof(one));
}

void Scheduler::Wake() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
  // The loop may be waiting on the notification socket, not on wake_.
  Interrupt();
}

void Scheduler::RecoverEvery(std::chrono::seconds every, std::function<void(db::Database*)> recover) {
  std::lock_guard<std::mutex> lock(mutex_);
  recover_every_ = every;
  recover_ = std::move(recover);
}

void Scheduler::Loop() {
  std::unique_ptr<db::Database> db;
  do {
    // A connection the server ended (a restart, an idle transaction cut
    // off while this process was frozen) fails as Unavailable, as a full
    // pool does: look before using it.
    if (db && !db->Usable()) db.reset();
    if (!db) {
      Result<std::unique_ptr<db::Database>> opened = db::Database::Open(url_);
      if (opened.ok()) {
        db = std::move(opened).value();
      } else {
        logging::LogWarning("the scheduler cannot open the database (it tries again): " + opened.status().ToString());
      }
    }
    std::function<void(db::Database*)> recover;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const auto now = std::chrono::steady_clock::now();
      if (recover_ && now - recovered_ >= recover_every_) {
        recover = recover_;
        recovered_ = now;
      }
    }
    if (db && recover) recover(db.get());
    if (db && StartWaiting(db.get()) < 0) db.reset();  // the connection may be what failed
  } while (WaitForWork(db.get()));
}

bool Scheduler::WaitForWork(db::Database* db) {
  const auto until = std::chrono::steady_clock::now() + poll_;
  if (db != nullptr && db->dialect() == db::Dialect::kPostgres && !listener_) {
    Result<std::unique_ptr<db::SqlNotifications>> opened =
        db::SqlNotifications::Listen(url_, db::ProjectStore::kSyncChannel);
    if (opened.ok()) listener_ = std::move(opened).value();
  }
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (stop_) {
        listener_.reset();
        return false;
      }
      if (woken_) {
        woken_ = false;
        return true;
      }
      const auto now = std::chrono::steady_clock::now();
      if (now >= until) return true;
      if (!listener_) {
        wake_.wait_until(lock, until);
        continue;
      }
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    Result<bool> notified =
        listener_->Wait(std::clamp(left, std::chrono::milliseconds(1), kListenSlice), wake_fd_);
    if (!notified.ok()) {
      listener_.reset();  // opened again at the next wait; the poll goes on meanwhile
      continue;
    }
    if (*notified) return true;
  }
}

int Scheduler::StartWaiting(db::Database* db) {
  filter_.now = NowUnixSeconds();
  int started = 0;
  auto idle = [&] { return sync_workers_ - workers_->running() - workers_->queued(); };
  if (idle() <= 0) return 0;
  // On SQLite a read first: a claim is a write transaction there (it waits
  // for the one write lock), not worth taking when nothing waits. On
  // PostgreSQL a claim that finds nothing is as cheap as the count.
  if (db->dialect() != db::Dialect::kPostgres) {
    Result<int64_t> waiting = db::ProjectStore(db).CountWaiting(filter_);
    if (!waiting.ok()) {
      logging::LogWarning("the scheduler cannot read the queue (it tries again): " + waiting.status().ToString());
      return -1;
    }
    if (*waiting == 0) return 0;
  }
  // Every idle place at once, in one claim; again while places are left
  // (a run ended meanwhile) and the queue filled every one asked for.
  for (int places = idle(); places > 0; places = idle()) {
    Result<std::vector<SyncWorkers::Claimed>> claimed = workers_->ClaimWaiting(db, filter_, places);
    if (!claimed.ok()) {
      // A full pool or a stop: nothing more this time. Anything else the
      // log says; the next look tries again.
      if (claimed.status().code() == StatusCode::kUnavailable) break;
      logging::LogWarning("the scheduler cannot start a sync (it tries again): " + claimed.status().ToString());
      return -1;
    }
    const int got = static_cast<int>(claimed->size());
    for (SyncWorkers::Claimed& claim : *claimed) {
      if (metrics_ != nullptr && claim.run.trigger == kTrigger) metrics_->RecordScheduledStart();
      workers_->Submit(std::move(claim));
    }
    started += got;
    if (got < places) break;
  }
  return started;
}

}  // namespace tether::workers

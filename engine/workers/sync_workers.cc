#include "engine/workers/sync_workers.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <utility>

#include "engine/auth/tenant_session.h"
#include "engine/db/project_store.h"
#include "engine/log/log.h"

namespace tether::workers {

SyncWorkers::SyncWorkers(sync::SyncRunner* runner, std::string trigger, int workers, int queue_capacity,
                         Metrics* metrics)
    : runner_(runner),
      trigger_(std::move(trigger)),
      metrics_(metrics),
      workers_(workers),
      pool_("sync", runner->database_url(), workers, queue_capacity) {
  // After the run's place was given back: a scheduler woken by the hook
  // must find it free, or it waits for its next poll.
  pool_.OnTaskDone([this] {
    std::lock_guard<std::mutex> lock(hook_mutex_);
    if (on_run_end_) on_run_end_();
  });
  retry_thread_ = std::thread([this] { RetryLoop(); });
}

SyncWorkers::~SyncWorkers() { Shutdown(); }

Result<SyncWorkers::Claimed> SyncWorkers::Claim(db::Database* db, const std::string& tenant_id,
                                                const std::string& project_name) {
  return Claim(db, tenant_id, project_name, trigger_);
}

Result<SyncWorkers::Claimed> SyncWorkers::Claim(db::Database* db, const std::string& tenant_id,
                                                const std::string& project_name, const std::string& trigger) {
  if (stop_.cancelled()) {
    return Status::Unavailable("the server is shutting down: no sync starts now; try again once it is back");
  }
  // No workers: no place would ever run it.
  std::optional<WorkerPool::Ticket> ticket = workers_ > 0 ? pool_.TryReserve() : std::nullopt;
  if (!ticket) {
    return Status::Unavailable("every sync worker is busy and the sync queue is full (or the server is "
                               "shutting down); try again later");
  }
  Result<sync::ClaimedRun> claim = runner_->Claim(db, tenant_id, project_name, trigger);
  if (!claim.ok()) return claim.status();  // the ticket gives its place back
  return Claimed{std::move(*ticket), std::move(claim).value()};
}

Result<std::vector<SyncWorkers::Claimed>> SyncWorkers::ClaimWaiting(db::Database* db, const db::WorkFilter& filter,
                                                                   int most) {
  if (stop_.cancelled()) return Status::Unavailable("shutting down: no sync starts now");
  std::vector<WorkerPool::Ticket> tickets;
  while (workers_ > 0 && static_cast<int>(tickets.size()) < most) {
    std::optional<WorkerPool::Ticket> ticket = pool_.TryReserve();
    if (!ticket) break;
    tickets.push_back(std::move(*ticket));
  }
  if (tickets.empty()) return Status::Unavailable("every sync worker is busy");
  Result<std::vector<sync::ClaimedRun>> claims = runner_->ClaimWork(db, filter, static_cast<int>(tickets.size()));
  if (!claims.ok()) return claims.status();
  std::vector<Claimed> claimed;
  // At most one claim per ticket; the tickets left over give their places back.
  for (size_t i = 0; i < claims->size(); ++i) claimed.push_back(Claimed{std::move(tickets[i]), std::move((*claims)[i])});
  return claimed;
}

Result<int64_t> SyncWorkers::Start(db::Database* db, const std::string& tenant_id, const std::string& project_name,
                                   const std::string& trigger) {
  Result<Claimed> claimed = Claim(db, tenant_id, project_name, trigger.empty() ? trigger_ : trigger);
  if (!claimed.ok()) return claimed.status();
  const int64_t run_id = claimed->run.run_id;
  Submit(std::move(claimed).value());
  return run_id;
}

Result<int64_t> SyncWorkers::StartOrRequest(db::Database* db, const std::string& tenant_id,
                                            const std::string& project_name, const std::string& trigger) {
  Result<int64_t> started = Start(db, tenant_id, project_name, trigger);
  if (started.ok()) return started;
  // Unavailable: no place here. Conflict: a run holds the project; the
  // request makes one run after it, however many come meanwhile -- on
  // PostgreSQL. SQLite's one write lock may be the running write's for
  // minutes: a request would wait for it, so the caller is told at once
  // (409) instead.
  const StatusCode code = started.status().code();
  const bool follow_up = code == StatusCode::kConflict && db->dialect() == db::Dialect::kPostgres;
  if (code != StatusCode::kUnavailable && !follow_up) return started;
  TETHER_RETURN_IF_ERROR(Request(db, tenant_id, project_name, trigger));
  return 0;
}

Status SyncWorkers::Request(db::Database* db, const std::string& tenant_id, const std::string& project_name,
                            const std::string& trigger) {
  db::ProjectStore projects(db);
  Result<db::Project> project = projects.Get(tenant_id, project_name);
  if (!project.ok()) return project.status();
  if (!project->sync_enabled) return sync::ProjectDisabled(project_name);
  return projects.RequestSync(project->id, trigger.empty() ? trigger_ : trigger);
}

void SyncWorkers::HandBack(db::Database* db, const sync::ClaimedRun& claim) {
  Status asked = db::ProjectStore(db).RequestSync(claim.project.id, claim.trigger);
  logging::Log(asked.ok() ? logging::LogLevel::kInfo : logging::LogLevel::kError,
               "project " + claim.project.name + ": " +
                   (asked.ok() ? std::string("handed back: another worker runs it") :
                                 "cannot hand it back (its schedule or the next request runs it): " + asked.message()),
               {{"project", claim.project.name}, {"run_id", claim.run_id}});
}

void SyncWorkers::OnRunEnd(std::function<void()> hook) {
  std::lock_guard<std::mutex> lock(hook_mutex_);
  on_run_end_ = std::move(hook);
}

void SyncWorkers::Submit(Claimed claimed) {
  auto run = [this, claim = claimed.run](WorkerContext& context) {
    Result<db::Database*> worker_db = context.database();
    if (!worker_db.ok()) {
      logging::LogError("run " + std::to_string(claim.run_id) + " of " + claim.project.name + ": " +
                            worker_db.status().message(),
                        {{"run_id", claim.run_id}, {"project", claim.project.name}});
      return;  // the lease expires; the next run marks this one interrupted
    }
    Status bound = auth::BindTenant(*worker_db, claim.project.tenant_id);
    if (!bound.ok()) {
      logging::LogError("run " + std::to_string(claim.run_id) + " of " + claim.project.name + ": " + bound.message(),
                        {{"run_id", claim.run_id}, {"project", claim.project.name}});
      context.ResetDatabase();
      return;
    }
    sync::SyncResult result = runner_->RunClaimed(*worker_db, claim, &stop_);
    if (metrics_ != nullptr) metrics_->RecordSync(result);
    if (hand_back_ && result.outcome == sync::RunOutcome::kCancelled && stop_.cancelled()) {
      HandBack(*worker_db, claim);
    }
    if (result.resync_requested) {
      ScheduleRetry(claim.project, 0, kWebhookTrigger);
    } else if (result.status.code() == StatusCode::kRateLimited) {
      ScheduleRetry(claim.project, std::max<int64_t>(result.status.retry_after_seconds(), 1), claim.trigger);
    }
    if (!result.status.ok()) {
      const char* outcome = result.outcome == sync::RunOutcome::kCancelled ? "cancelled" : "failed";
      logging::Log(result.outcome == sync::RunOutcome::kCancelled ? logging::LogLevel::kInfo : logging::LogLevel::kError,
                   "run " + std::to_string(claim.run_id) + " of " + claim.project.name + " " + outcome + ": " +
                       result.status.message(),
                   {{"run_id", claim.run_id}, {"project", claim.project.name}, {"trigger", claim.trigger},
                    {"outcome", outcome}});
    } else {
      const db::SyncRun& done = result.run;
      logging::LogInfo("run " + std::to_string(claim.run_id) + " of " + claim.project.name + " (" + claim.trigger +
                           "): " + sync::ToString(result.outcome) + ", " + sync::ToString(result.mode) + ", " +
                           std::to_string(done.counts.added) + " added, " + std::to_string(done.counts.modified) +
                           " modified, " + std::to_string(done.counts.deleted) + " deleted, " +
                           std::to_string(done.counts.renamed) + " renamed in " +
                           std::to_string(std::llround(result.total_ms)) + " ms",
                       {{"run_id", claim.run_id}, {"project", claim.project.name}, {"trigger", claim.trigger},
                        {"outcome", sync::ToString(result.outcome)}, {"duration_ms", result.total_ms}});
    }
  };
  auto cancel = [this, claim = claimed.run](WorkerContext& context) {
    Result<db::Database*> worker_db = context.database();
    if (!worker_db.ok() || !auth::BindTenant(*worker_db, claim.project.tenant_id).ok()) return;
    Status abandoned =
        runner_->Abandon(*worker_db, claim, "the server shut down before the run started; nothing was done");
    if (!abandoned.ok()) {
      logging::LogError("cannot abandon run " + std::to_string(claim.run_id) + " of " + claim.project.name + ": " +
                            abandoned.message(),
                        {{"run_id", claim.run_id}, {"project", claim.project.name}});
    }
    if (hand_back_) HandBack(*worker_db, claim);
  };
  pool_.Submit(std::move(claimed.ticket), std::move(run), std::move(cancel));
}

void SyncWorkers::CancelAll(sync::CancelReason reason) {
  stop_.Cancel(reason);
  {
    std::lock_guard<std::mutex> lock(retry_mutex_);
    retry_stopping_ = true;
    retries_.clear();
  }
  retry_wake_.notify_all();
}

void SyncWorkers::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(retry_mutex_);
    retry_stopping_ = true;
  }
  retry_wake_.notify_all();
  if (retry_thread_.joinable()) retry_thread_.join();
  pool_.Shutdown(WorkerPool::ShutdownMode::kCancelQueued);
}

void SyncWorkers::ScheduleRetry(const db::Project& project, int64_t after_seconds, const std::string& trigger) {
  auto due = std::chrono::steady_clock::now() + std::chrono::seconds(std::max<int64_t>(after_seconds, 0));
  {
    std::lock_guard<std::mutex> lock(retry_mutex_);
    if (retry_stopping_) return;
    retries_.emplace(due, Retry{project.name, project.tenant_id, trigger});
  }
  retry_wake_.notify_all();
}

void SyncWorkers::RetryLoop() {
  std::unique_ptr<db::Database> db;
  std::unique_lock<std::mutex> lock(retry_mutex_);
  while (!retry_stopping_) {
    if (retries_.empty()) {
      retry_wake_.wait(lock);
      continue;
    }
    auto due = retries_.begin()->first;
    if (std::chrono::steady_clock::now() < due) {
      retry_wake_.wait_until(lock, due);
      continue;
    }
    Retry retry = retries_.begin()->second;
    retries_.erase(retries_.begin());
    lock.unlock();
    Status started = Status::Ok();
    if (!db) {
      Result<std::unique_ptr<db::Database>> opened = db::Database::Open(runner_->database_url());
      if (opened.ok()) db = std::move(opened).value();
      else started = opened.status();
    }
    if (db) {
      started = auth::BindTenant(db.get(), retry.tenant);
      if (started.ok()) {
        Result<Claimed> claimed = Claim(db.get(), retry.tenant, retry.project, retry.trigger);
        started = claimed.status();
        if (claimed.ok()) Submit(std::move(claimed).value());
      }
    }
    lock.lock();
    // A full pool or an unreachable database: try again shortly. Anything
    // else (started, running, gone, disabled) ends the retry.
    if (started.code() == StatusCode::kUnavailable && !retry_stopping_) {
      db.reset();  // cheap to open again, and it may be the connection
      retries_.emplace(std::chrono::steady_clock::now() + std::chrono::seconds(5), std::move(retry));
    }
  }
}

}  // namespace tether::workers

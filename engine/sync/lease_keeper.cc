#include "engine/sync/lease_keeper.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "engine/db/project_store.h"
#include "engine/log/log.h"

namespace tether::sync {

LeaseKeeper::LeaseKeeper(std::string database_url, int64_t ttl_seconds, bool renew_leases)
    : url_(std::move(database_url)),
      ttl_seconds_(std::max<int64_t>(ttl_seconds, 3)),
      renew_leases_(renew_leases),
      interval_(std::chrono::milliseconds(ttl_seconds_ * 1000 / 3)) {
  thread_ = std::thread([this] { Loop(); });
}

LeaseKeeper::~LeaseKeeper() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const CancelToken> LeaseKeeper::Hold(int64_t project_id, const std::string& owner) {
  if (!renew_leases_) return nullptr;
  auto token = std::make_shared<CancelToken>();
  std::lock_guard<std::mutex> lock(mutex_);
  held_[owner] = Held{project_id, token};
  return token;
}

std::shared_ptr<const CancelToken> LeaseKeeper::Token(const std::string& owner) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = held_.find(owner);
  if (it == held_.end()) return nullptr;
  return it->second.lost;
}

void LeaseKeeper::Drop(const std::string& owner) {
  std::lock_guard<std::mutex> lock(mutex_);
  held_.erase(owner);
}

void LeaseKeeper::SetHeartbeat(std::function<Status(db::Database*)> beat) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    beat_ = std::move(beat);
  }
  wake_.notify_all();  // the first beat at once
}

void LeaseKeeper::Loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    lock.unlock();
    Round();
    lock.lock();
    wake_.wait_for(lock, interval_);
  }
}

void LeaseKeeper::Round() {
  std::vector<std::pair<std::string, Held>> held;
  std::function<Status(db::Database*)> beat;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    held.assign(held_.begin(), held_.end());
    beat = beat_;
  }
  if (held.empty() && !beat) return;
  if (!db_) {
    // Short busy waits: a renewal stuck behind a lock is retried next round.
    Result<std::unique_ptr<db::Database>> opened = db::Database::Open(url_, 2000);
    if (!opened.ok()) {
      logging::LogWarning("cannot renew run leases: " + opened.status().message());
      return;
    }
    db_ = std::move(opened).value();
  }
  db::ProjectStore projects(db_.get());
  bool failed = false;
  for (const auto& [owner, lease] : held) {
    Result<bool> renewed = projects.RenewLease(lease.project_id, owner, ttl_seconds_);
    if (!renewed.ok()) {
      failed = true;
      logging::LogWarning("cannot renew the lease of project " + std::to_string(lease.project_id) + ": " +
                              renewed.status().message(),
                          {{"project_id", lease.project_id}});
      continue;
    }
    if (*renewed) continue;
    // Not renewed: taken over, or released by its run's end a moment ago
    // (before the run dropped it here). Only another holder means lost.
    Result<std::string> holder = projects.LiveLeaseOwner(lease.project_id);
    if (!holder.ok() || holder->empty() || *holder == owner) continue;
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = held_.find(owner);
    if (it == held_.end()) continue;  // dropped meanwhile: its run ended and released it
    it->second.lost->Cancel(CancelReason::kLeaseLost);
    held_.erase(it);
    logging::LogWarning("the lease of project " + std::to_string(lease.project_id) +
                            " expired and another run took it over; this run stops",
                        {{"project_id", lease.project_id}, {"lease_owner", owner}});
  }
  if (beat && !failed) {
    Status beaten = beat(db_.get());
    // On SQLite a beat waits behind any long write: said once it keeps
    // failing, not at every round.
    beat_failures_ = beaten.ok() ? 0 : beat_failures_ + 1;
    if (!beaten.ok()) failed = true;
    if (beat_failures_ == 3) logging::LogWarning("cannot record this worker's heartbeat: " + beaten.message());
  }
  if (failed) db_.reset();  // the connection may be what failed
}

}  // namespace tether::sync

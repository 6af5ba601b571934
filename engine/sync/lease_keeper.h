// LeaseKeeper: renews the run leases this process holds, so that a lease
// stays live exactly as long as its process is alive and reaches the
// database. On PostgreSQL, where workers run on many machines, leases are
// taken for `ttl_seconds` (workers.lease_timeout_seconds, 30 s by default)
// and renewed every third of it: a worker that dies, freezes or loses the
// network loses its projects to another worker within the timeout. A
// renewal that finds a lease taken over (it expired first) cancels that
// run (CancelReason::kLeaseLost); should the run be stalled instead, the
// storage's fence refuses its commit (Storage::Fence).
//
// Each round also calls the heartbeat, if one is set (the worker registry's,
// engine/db/worker_store.h).
//
// Ownership: owns its thread and its database connection (opened at the
// first round, again after a failure). Thread safety: every method may be
// called from any thread.
#ifndef TETHER_ENGINE_SYNC_LEASE_KEEPER_H_
#define TETHER_ENGINE_SYNC_LEASE_KEEPER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "engine/db/database.h"
#include "engine/sync/cancellation.h"

namespace tether::sync {

class LeaseKeeper {
 public:
  // `renew_leases` false: only the heartbeat beats (SQLite, where leases
  // are not renewed); Hold then holds nothing and returns null.
  LeaseKeeper(std::string database_url, int64_t ttl_seconds, bool renew_leases = true);
  ~LeaseKeeper();  // stops renewing: the leases still held then expire

  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  int64_t ttl_seconds() const { return ttl_seconds_; }
  bool renews_leases() const { return renew_leases_; }

  // Renews `owner`'s lease of the project from now until Drop(owner). The
  // token it returns is cancelled (kLeaseLost) when a renewal finds the
  // lease held by another owner; it is not renewed from then on.
  std::shared_ptr<const CancelToken> Hold(int64_t project_id, const std::string& owner);
  // The token Hold returned for `owner`; null when it is not held (any more).
  std::shared_ptr<const CancelToken> Token(const std::string& owner) const;
  void Drop(const std::string& owner);

  // Called with the keeper's connection after each round (may fail: the
  // next round calls it again).
  void SetHeartbeat(std::function<Status(db::Database*)> beat);

 private:
  void Loop();
  void Round();

  struct Held {
    int64_t project_id = 0;
    std::shared_ptr<CancelToken> lost;
  };

  const std::string url_;
  const int64_t ttl_seconds_;
  const bool renew_leases_;
  int beat_failures_ = 0;  // in a row, under the loop
  const std::chrono::milliseconds interval_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::map<std::string, Held> held_;  // by owner
  std::function<Status(db::Database*)> beat_;
  std::unique_ptr<db::Database> db_;  // the loop's only
  std::thread thread_;
};

}  // namespace tether::sync

#endif  // TETHER_ENGINE_SYNC_LEASE_KEEPER_H_

// Cancelling a sync: what asks a run to stop, and how the run sees it.
//
// Two ways in:
//   - In the run's own process, a CancelToken: `tether sync` sets its
//     token from its SIGINT and SIGTERM handler. Setting a token is one
//     lock-free atomic operation, safe in a signal handler.
//   - From any process (`tether sync --cancel NAME`, the API's
//     POST /api/v1/projects/{name}/runs/{id}/cancel): RequestCancel records
//     a request for one run, by its id (db::RunStore::RequestCancel), so
//     that a cancel for run 7 never stops run 8 of the same project.
//
// A run sees both through its RunCancellation (SyncPipeline): before each
// phase; for every change or stored entry its diff streams (the sink
// returns CancelledStatus, and a provider returns a sink's error as it is,
// ending its diff); between the changes its write applies and while it
// waits for blobs (ChangeWriter); and once more just before the storage
// commits. The token is read at every check (an atomic load), the database
// at most every kPollInterval, and before the first phase and the commit
// whatever the interval. A
// run that sees a request stops: its StorageWriter is destroyed without
// Commit (nothing of the write is kept, the cursor stays), and the run is
// recorded "cancelled" with its lease released in the same transaction. A
// request that comes after the storage committed is too late: the run ends
// as it would have.
//
// Thread safety: CancelToken may be used from any thread and from signal
// handlers. A RunCancellation belongs to the thread of its run (it reads
// that run's database connection).
#ifndef TETHER_ENGINE_SYNC_CANCELLATION_H_
#define TETHER_ENGINE_SYNC_CANCELLATION_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "engine/db/database.h"
#include "engine/db/project_store.h"
#include "tether/status.h"

namespace tether::sync {

// Why a run was asked to stop.
enum class CancelReason : int {
  kNone = 0,
  kInterrupt = 1,  // SIGINT (Ctrl-C) to `tether sync`
  kTerminate = 2,  // SIGTERM to `tether sync`
  kRequest = 3,    // a cancel request: `tether sync --cancel` or the API
  kLeaseLost = 4,  // the run's lease expired and another run took it over
};

// How it reads after "cancelled" or "stopped": "by SIGINT (Ctrl-C)", "by
// SIGTERM", "on request (tether sync --cancel, or the API)".
const char* DescribeCancelReason(CancelReason reason);

// The status a cancelled phase returns, and what a diff's sink returns to
// stop the provider: code Unavailable (the sync may simply be run again),
// message "cancelled <reason>". Callers never tell a cancel by this
// status: RunCancellation::cancelled() and RunOutcome::kCancelled say it.
Status CancelledStatus(CancelReason reason);

// A flag: set once (the first reason stays), read anywhere.
class CancelToken {
 public:
  void Cancel(CancelReason reason) noexcept {
    int none = 0;
    reason_.compare_exchange_strong(none, static_cast<int>(reason));
  }
  CancelReason reason() const noexcept { return static_cast<CancelReason>(reason_.load()); }
  bool cancelled() const noexcept { return reason() != CancelReason::kNone; }

 private:
  static_assert(std::atomic<int>::is_always_lock_free, "a signal handler sets it");
  std::atomic<int> reason_{0};
};

// What one run checks.
class RunCancellation {
 public:
  // How often, at most, a running sync reads its cancel request from the
  // database between phases.
  static constexpr std::chrono::milliseconds kPollInterval{50};

  // `db`: the run's connection (borrowed); `token` may be null (runs of the
  // server stop on requests only); `lease` (may be null) is cancelled when
  // the run's lease is lost (LeaseKeeper).
  RunCancellation(db::Database* db, int64_t run_id, const CancelToken* token, const CancelToken* lease = nullptr);

  // OK while the run may go on; CancelledStatus once it must stop, and at
  // every call after that. `poll_now` reads the database whatever the
  // interval. A request that cannot be read (the database is briefly
  // unreachable) does not stop the run: it is read again at the next poll.
  Status Check(bool poll_now = false);

  // A check saw a cancel: the run stops because of it.
  bool cancelled() const { return reason_ != CancelReason::kNone; }
  CancelReason reason() const { return reason_; }

 private:
  db::Database* db_;
  int64_t run_id_;
  const CancelToken* token_;
  const CancelToken* lease_;
  CancelReason reason_ = CancelReason::kNone;
  std::chrono::steady_clock::time_point last_poll_;
};

// What RequestCancel did.
struct CancelAnswer {
  bool requested = false;  // the run was running and is asked to stop
  std::string outcome;     // the run's outcome when it was not running ("succeeded", ...)
  std::string detail;      // why it was not asked, for people
};

// Asks run `run_id` of `project` to stop, wherever it runs. NotFound when
// the project has no such run. Not requested (changing nothing) when the run
// has ended, or when it was left "running" by a process of this host that
// is gone (the next sync of the project records it interrupted).
Result<CancelAnswer> RequestCancel(db::Database* db, const db::Project& project, int64_t run_id);

}  // namespace tether::sync

#endif  // TETHER_ENGINE_SYNC_CANCELLATION_H_

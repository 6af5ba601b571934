// SyncRunner: the one way a sync is run, whatever asked for it (`tether
// sync`, the HTTP API, a GitHub webhook, the server's retries). Made once
// per process from the loaded config (app::Runtime::NewSyncRunner), it holds
// what every run shares: the loaded plugins, the options from the config's
// defaults, and the event log (sync_event.h) that persists the runs' events
// and hands them to in-process listeners. Each call builds the pipeline of
// one run on the caller's database connection.
//
// On PostgreSQL, where runs of one database go on many machines, the runner
// also keeps the leases of its runs alive (LeaseKeeper): they are taken for
// `lease_timeout_seconds` and renewed until the run ends, so that a process
// that dies or freezes loses its projects within that time. On SQLite (one
// machine, where a dead holder is seen at once by its pid) leases last
// SyncOptions::lease_seconds and are not renewed.
//
// Ownership: owns the EventLog and the LeaseKeeper; borrows the PluginHost,
// which must outlive the runner. Thread safety: every method may be called from any thread at
// once, each call with a Database of its own (db::Database is not thread
// safe); the lease keeps two runs off the same project.
#ifndef TETHER_ENGINE_SYNC_SYNC_RUNNER_H_
#define TETHER_ENGINE_SYNC_SYNC_RUNNER_H_

#include <string>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "engine/sync/event_log.h"
#include "engine/sync/lease_keeper.h"
#include "engine/sync/pipeline.h"
#include "tether/status.h"

namespace tether::sync {

class SyncRunner {
 public:
  // `options` apply to every run, except its trigger: each call names its
  // own. `lease_timeout_seconds`: see above (0: leases are never renewed).
  SyncRunner(std::string database_url, const plugin_host::PluginHost* plugins, SyncOptions options,
             int64_t lease_timeout_seconds = 0);
  ~SyncRunner();

  SyncRunner(const SyncRunner&) = delete;
  SyncRunner& operator=(const SyncRunner&) = delete;

  // Where the runs' events go: add listeners here before the first run.
  EventLog& events() { return events_; }

  // The database the runs are recorded in, for the threads that open a
  // connection of their own to run syncs on.
  const std::string& database_url() const { return database_url_; }

  // One sync of `project_name` in `tenant_id`, now, on `db`, recorded with
  // `trigger`; `cancel` (may be null) stops it when set. See
  // SyncPipeline::Run.
  SyncResult Run(db::Database* db, const std::string& tenant_id, const std::string& project_name,
                 const std::string& trigger, const CancelToken* cancel = nullptr);

  // Run in two steps, for callers that answer before the sync is done (see
  // SyncPipeline::Claim, RunClaimed and Abandon). The claim and its run may
  // use different connections on different threads.
  Result<ClaimedRun> Claim(db::Database* db, const std::string& tenant_id, const std::string& project_name,
                           const std::string& trigger);
  // Up to `limit` waiting projects (SyncPipeline::ClaimWork); empty when none.
  Result<std::vector<ClaimedRun>> ClaimWork(db::Database* db, const db::WorkFilter& filter, int limit);
  SyncResult RunClaimed(db::Database* db, const ClaimedRun& claim, const CancelToken* cancel = nullptr);
  Status Abandon(db::Database* db, const ClaimedRun& claim, const std::string& reason);

  // Waits until the events of every run so far are persisted (EventLog::Flush;
  // with `db`, what is still queued is written on it).
  Status Flush(db::Database* db = nullptr) { return events_.Flush(db); }

  // The keeper of this runner's leases; null when they are not renewed
  // (SQLite). A worker adds its heartbeat to it.
  LeaseKeeper* lease_keeper() { return keeper_.get(); }
  // What this runner counted: runs finished, leases taken over from a
  // holder that let them expire or died, runs that lost their lease.
  struct Counts {
    int64_t runs = 0, takeovers = 0, fenced = 0;
  };
  Counts counts() const { return {runs_.load(), takeovers_.load(), fenced_.load()}; }

  // The worker process the runs are recorded under (SyncOptions::worker_id).
  const std::string& worker_id() const { return options_.worker_id; }

 private:
  SyncPipeline Pipeline(db::Database* db, const std::string& trigger);
  Result<ClaimedRun> Kept(Result<ClaimedRun> claim);

  const std::string database_url_;
  const plugin_host::PluginHost* plugins_;
  SyncOptions options_;
  EventLog events_;
  std::unique_ptr<LeaseKeeper> keeper_;
  std::atomic<int64_t> runs_{0}, takeovers_{0}, fenced_{0};
};

}  // namespace tether::sync

#endif  // TETHER_ENGINE_SYNC_SYNC_RUNNER_H_

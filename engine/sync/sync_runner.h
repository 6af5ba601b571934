// SyncRunner: the one way a sync is run, whatever asked for it (`tether
// sync`, the HTTP API, a GitHub webhook, the server's retries). Made once
// per process from the loaded config (app::Runtime::NewSyncRunner), it holds
// what every run shares: the loaded plugins, the options from the config's
// defaults, and the event log (sync_event.h) that persists the runs' events
// and hands them to in-process listeners. Each call builds the pipeline of
// one run on the caller's database connection.
//
// Ownership: owns the EventLog; borrows the PluginHost, which must outlive
// the runner. Thread safety: every method may be called from any thread at
// once, each call with a Database of its own (db::Database is not thread
// safe); the lease keeps two runs off the same project.
#ifndef TETHER_ENGINE_SYNC_SYNC_RUNNER_H_
#define TETHER_ENGINE_SYNC_SYNC_RUNNER_H_

#include <string>

#include "engine/sync/event_log.h"
#include "engine/sync/pipeline.h"
#include "tether/status.h"

namespace tether::sync {

class SyncRunner {
 public:
  // `options` apply to every run, except its trigger: each call names its own.
  SyncRunner(std::string database_url, const plugin_host::PluginHost* plugins, SyncOptions options);

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
  SyncResult RunClaimed(db::Database* db, const ClaimedRun& claim, const CancelToken* cancel = nullptr);
  Status Abandon(db::Database* db, const ClaimedRun& claim, const std::string& reason);

  // Waits until the events of every run so far are persisted (EventLog::Flush).
  Status Flush() { return events_.Flush(); }

 private:
  SyncPipeline Pipeline(db::Database* db, const std::string& trigger);

  const std::string database_url_;
  const plugin_host::PluginHost* plugins_;
  const SyncOptions options_;
  EventLog events_;
};

}  // namespace tether::sync

#endif  // TETHER_ENGINE_SYNC_SYNC_RUNNER_H_

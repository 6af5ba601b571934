#include "engine/server/sync_runner.h"

#include <cstdio>
#include <optional>
#include <utility>

#include "engine/auth/tenant_session.h"

namespace tether::server {

SyncRunner::SyncRunner(std::string database_url, const plugin_host::PluginHost* plugins, sync::EventLog* events,
                       sync::SyncOptions options, int workers, int queue_capacity, Metrics* metrics)
    : plugins_(plugins),
      events_(events),
      metrics_(metrics),
      options_(std::move(options)),
      pool_("sync", std::move(database_url), workers, queue_capacity) {}

SyncRunner::~SyncRunner() { Shutdown(); }

Result<int64_t> SyncRunner::Start(db::Database* db, const std::string& project_name) {
  std::optional<WorkerPool::Ticket> ticket = pool_.TryReserve();
  if (!ticket) {
    return Status::Unavailable("every sync worker is busy and the sync queue is full (or the server is "
                               "shutting down); try again later");
  }
  sync::SyncPipeline claimer(db, plugins_, events_, options_);
  Result<sync::ClaimedRun> claim = claimer.Claim(project_name);
  if (!claim.ok()) return claim.status();  // the ticket gives its place back
  const int64_t run_id = claim->run_id;

  auto run = [this, claim = *claim](WorkerContext& context) {
    Result<db::Database*> worker_db = context.database();
    if (!worker_db.ok()) {
      std::fprintf(stderr, "tether: error: run %lld of %s: %s\n", static_cast<long long>(claim.run_id),
                   claim.project.name.c_str(), worker_db.status().message().c_str());
      return;  // the lease expires; the next run marks this one interrupted
    }
    Status bound = auth::BindTenant(*worker_db, claim.project.tenant_id);
    if (!bound.ok()) {
      std::fprintf(stderr, "tether: error: run %lld of %s: %s\n", static_cast<long long>(claim.run_id),
                   claim.project.name.c_str(), bound.message().c_str());
      context.ResetDatabase();
      return;
    }
    sync::SyncPipeline pipeline(*worker_db, plugins_, events_, options_);
    sync::SyncResult result = pipeline.RunClaimed(claim);
    if (metrics_ != nullptr) metrics_->RecordSync(result);
    if (!result.status.ok()) {
      std::fprintf(stderr, "tether: run %lld of %s failed: %s\n", static_cast<long long>(claim.run_id),
                   claim.project.name.c_str(), result.status.message().c_str());
    }
  };
  auto cancel = [this, claim = *claim](WorkerContext& context) {
    Result<db::Database*> worker_db = context.database();
    if (!worker_db.ok() || !auth::BindTenant(*worker_db, claim.project.tenant_id).ok()) return;
    sync::SyncPipeline pipeline(*worker_db, plugins_, events_, options_);
    Status abandoned = pipeline.Abandon(claim, "the server shut down before the run started; nothing was done");
    if (!abandoned.ok()) {
      std::fprintf(stderr, "tether: error: cannot abandon run %lld of %s: %s\n",
                   static_cast<long long>(claim.run_id), claim.project.name.c_str(),
                   abandoned.message().c_str());
    }
  };
  pool_.Submit(std::move(*ticket), std::move(run), std::move(cancel));
  return run_id;
}

void SyncRunner::Shutdown() { pool_.Shutdown(WorkerPool::ShutdownMode::kCancelQueued); }

}  // namespace tether::server

#include "engine/sync/sync_runner.h"

#include <utility>

#include "shared/clock.h"

namespace tether::sync {

SyncRunner::SyncRunner(std::string database_url, const plugin_host::PluginHost* plugins, SyncOptions options,
                       int64_t lease_timeout_seconds)
    : database_url_(std::move(database_url)), plugins_(plugins), options_(std::move(options)), events_(database_url_) {
  Result<db::Dialect> dialect = db::DialectOfUrl(database_url_);
  const bool postgres = dialect.ok() && *dialect == db::Dialect::kPostgres;
  // A registered worker beats on SQLite too; only PostgreSQL's leases are renewed.
  if (lease_timeout_seconds > 0 && (postgres || !options_.worker_id.empty())) {
    keeper_ = std::make_unique<LeaseKeeper>(database_url_, lease_timeout_seconds, postgres);
    if (postgres) options_.lease_seconds = keeper_->ttl_seconds();
  }
}

SyncRunner::~SyncRunner() = default;

SyncPipeline SyncRunner::Pipeline(db::Database* db, const std::string& trigger) {
  SyncOptions options = options_;
  options.trigger = trigger;
  return SyncPipeline(db, plugins_, &events_, std::move(options));
}

Result<ClaimedRun> SyncRunner::Kept(Result<ClaimedRun> claim) {
  if (!claim.ok()) return claim;
  if (keeper_) keeper_->Hold(claim->project.id, claim->lease_owner);
  if (claim->took_over) ++takeovers_;
  return claim;
}

SyncResult SyncRunner::Run(db::Database* db, const std::string& tenant_id, const std::string& project_name,
                           const std::string& trigger, const CancelToken* cancel) {
  Stopwatch total;
  Result<ClaimedRun> claim = Claim(db, tenant_id, project_name, trigger);
  if (!claim.ok()) {
    SyncResult result;
    result.project = project_name;
    result.status = claim.status();
    result.outcome = claim.status().code() == StatusCode::kConflict ? RunOutcome::kBusy : RunOutcome::kFailed;
    return result;
  }
  SyncResult result = RunClaimed(db, *claim, cancel);
  result.total_ms = total.ElapsedMillisExact();
  return result;
}

Result<ClaimedRun> SyncRunner::Claim(db::Database* db, const std::string& tenant_id, const std::string& project_name,
                                     const std::string& trigger) {
  return Kept(Pipeline(db, trigger).Claim(tenant_id, project_name));
}

Result<std::vector<ClaimedRun>> SyncRunner::ClaimWork(db::Database* db, const db::WorkFilter& filter, int limit) {
  Result<std::vector<ClaimedRun>> claimed = Pipeline(db, "").ClaimWork(filter, limit);
  if (!claimed.ok()) return claimed;
  for (ClaimedRun& claim : *claimed) claim = Kept(std::move(claim)).value();
  return claimed;
}

SyncResult SyncRunner::RunClaimed(db::Database* db, const ClaimedRun& claim, const CancelToken* cancel) {
  std::shared_ptr<const CancelToken> lost = keeper_ ? keeper_->Token(claim.lease_owner) : nullptr;
  SyncResult result = Pipeline(db, claim.trigger).RunClaimed(claim, cancel, lost.get());
  if (keeper_) keeper_->Drop(claim.lease_owner);
  ++runs_;
  if (result.lease_lost) ++fenced_;
  return result;
}

Status SyncRunner::Abandon(db::Database* db, const ClaimedRun& claim, const std::string& reason) {
  Status abandoned = Pipeline(db, claim.trigger).Abandon(claim, reason);
  if (keeper_) keeper_->Drop(claim.lease_owner);
  return abandoned;
}

}  // namespace tether::sync

#include "engine/sync/sync_runner.h"

#include <utility>

namespace tether::sync {

SyncRunner::SyncRunner(std::string database_url, const plugin_host::PluginHost* plugins, SyncOptions options)
    : database_url_(std::move(database_url)), plugins_(plugins), options_(std::move(options)), events_(database_url_) {}

SyncPipeline SyncRunner::Pipeline(db::Database* db, const std::string& trigger) {
  SyncOptions options = options_;
  options.trigger = trigger;
  return SyncPipeline(db, plugins_, &events_, std::move(options));
}

SyncResult SyncRunner::Run(db::Database* db, const std::string& tenant_id, const std::string& project_name,
                           const std::string& trigger, const CancelToken* cancel) {
  return Pipeline(db, trigger).Run(tenant_id, project_name, cancel);
}

Result<ClaimedRun> SyncRunner::Claim(db::Database* db, const std::string& tenant_id, const std::string& project_name,
                                     const std::string& trigger) {
  return Pipeline(db, trigger).Claim(tenant_id, project_name);
}

SyncResult SyncRunner::RunClaimed(db::Database* db, const ClaimedRun& claim, const CancelToken* cancel) {
  return Pipeline(db, claim.trigger).RunClaimed(claim, cancel);
}

Status SyncRunner::Abandon(db::Database* db, const ClaimedRun& claim, const std::string& reason) {
  return Pipeline(db, claim.trigger).Abandon(claim, reason);
}

}  // namespace tether::sync

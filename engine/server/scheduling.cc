#include "engine/server/scheduling.h"

#include <string>
#include <vector>

#include "engine/db/project_store.h"
#include "engine/log/log.h"
#include "engine/sync/run_recovery.h"

namespace tether::server {

std::unique_ptr<workers::Scheduler> StartScheduler(app::Runtime* runtime, workers::SyncWorkers* syncs,
                                                   int sync_workers, std::chrono::milliseconds poll,
                                                   workers::Metrics* metrics) {
  const config::Config& config = runtime->config();
  auto scheduler = std::make_unique<workers::Scheduler>(config.database_url, syncs, sync_workers,
                                                        workers::WorkFilterFrom(config), poll, metrics);
  workers::Scheduler* wake = scheduler.get();
  syncs->OnRunEnd([wake] { wake->Wake(); });
  // On SQLite (one machine, leases of defaults.lease_seconds) a process
  // that died (SIGKILL, a crash) holds its leases until they expire: its
  // runs end here sooner. On PostgreSQL expired leases are taken over.
  Result<db::Dialect> dialect = db::DialectOfUrl(config.database_url);
  if (dialect.ok() && *dialect == db::Dialect::kSqlite) {
    const plugin_host::PluginHost* plugins = &runtime->plugins();
    scheduler->RecoverEvery(std::chrono::seconds(30), [plugins](db::Database* on) {
      Result<std::vector<std::string>> ended = sync::RecoverAbandonedRuns(on, *plugins);
      if (!ended.ok()) return;
      for (const std::string& name : *ended) {
        logging::LogWarning("project " + name + ": its last run was interrupted (the process running it stopped)",
                            {{"project", name}});
      }
    });
  }
  return scheduler;
}

}  // namespace tether::server

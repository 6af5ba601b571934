#include "engine/server/service.h"

#include <csignal>

#include "engine/auth/tenant_session.h"
#include "engine/db/project_store.h"
#include "engine/api/api.h"
#include "engine/event_stream/event_hub.h"
#include "engine/http/http_server.h"
#include "engine/workers/sync_workers.h"
#include "engine/workers/worker_pool.h"
#include "engine/sync/run_recovery.h"
#include "engine/sync/sync_runner.h"

namespace tether::server {
namespace {

// API requests waiting for a worker before new ones get 503.
constexpr int kApiQueue = 1024;

event_stream::EventHubOptions EventHubOptionsFrom(const config::ServerConfig& server) {
  event_stream::EventHubOptions options;
  options.heartbeat = std::chrono::milliseconds(server.sse_heartbeat_ms);
  options.client_queue = static_cast<size_t>(server.sse_client_queue);
  options.retention.days = server.events_retention_days;
  options.retention.max_rows = server.events_max_rows;
  options.prune_interval = std::chrono::milliseconds(int64_t{server.events_prune_seconds} * 1000);
  return options;
}

const char* SignalName(int signal_number) {
  switch (signal_number) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    default: return "a signal";
  }
}

}  // namespace

Status RunService(app::Runtime* runtime, const ServiceOptions& options) {
  auto log = [&](const std::string& line) {
    if (options.log) options.log(line);
  };
  // Refuses to serve a database with pending migrations.
  Result<db::Database*> db = runtime->database();
  if (!db.ok()) return db.status();
  const config::Config& config = runtime->config();
  const plugin_host::PluginHost& plugins = runtime->plugins();
  for (const plugin_host::PluginRecord& plugin : plugins.plugins()) {
    if (plugin.state == plugin_host::PluginState::kBroken) {
      log("plugin " + plugin.name + " is broken (" + plugin.error + "); projects that use it cannot sync");
    }
  }

  http::HttpServerOptions http;
  http.listen = options.listen.empty() ? config.server.listen : options.listen;
  http.io_threads = config.server.io_threads;
  Result<http::ListenAddress> address = http::ParseListenAddress(http.listen);
  if (!address.ok()) return address.status();

  // Runs a crashed or killed process left "running" end here, not when
  // their leases expire.
  Result<std::vector<std::string>> recovered = sync::RecoverAbandonedRuns(*db, plugins);
  if (!recovered.ok()) return recovered.status();
  for (const std::string& name : *recovered) {
    log("project " + name + ": its last run was interrupted (the process running it stopped); it can sync again");
  }

  std::unique_ptr<sync::SyncRunner> runner = runtime->NewSyncRunner();
  workers::Metrics metrics;
  workers::SyncWorkers syncs(runner.get(), "api", config.server.sync_workers, config.server.sync_queue, &metrics);
  // Syncs asked for during runs that never took the request (their process
  // died, or the server stopped before a queued run started) run now.
  Result<std::vector<db::Project>> projects = db::ProjectStore(*db).List();
  if (!projects.ok()) return projects.status();
  for (const db::Project& p : *projects) {
    if (!p.resync_requested || !p.sync_enabled) continue;
    Status started = auth::BindTenant(*db, p.tenant_id);
    // Only a push asks for a resync (webhooks::SyncQueue): its run is the webhook's.
    if (started.ok()) started = syncs.Start(*db, p.tenant_id, p.name, workers::SyncWorkers::kWebhookTrigger).status();
    log("project " + p.name + ": a sync asked for during an earlier run " +
        (started.ok() ? std::string("starts now") : "could not start: " + started.message()));
  }
  workers::WorkerPool api_workers("api", config.database_url, config.server.api_workers, kApiQueue);
  event_stream::EventHub event_hub(config.database_url, &runner->events(), &api_workers, EventHubOptionsFrom(config.server));
  Status hub_started = event_hub.Start();
  if (!hub_started.ok()) return hub_started;
  api::Api api(&config, &plugins, &syncs, &api_workers, &event_hub, &metrics);
  api.SetExpectedMigrations(runtime->checked_migrations());  // read once, by runtime->database() above
  http::HttpServer server(http, &api);

  server.HandleSignals([&](int signal_number) {
    log(std::string(SignalName(signal_number)) + ": shutting down; " + std::to_string(syncs.running()) +
        " sync(s) running will finish, " + std::to_string(syncs.queued()) + " queued will not start");
  });
  Result<std::string> bound = server.Listen();
  if (!bound.ok()) return bound.status();
  if (options.on_listening) options.on_listening(*bound);

  server.Run();  // returns once the last connection is answered and closed (event streams too)
  api_workers.Shutdown(workers::WorkerPool::ShutdownMode::kDrain);
  event_hub.Stop();
  syncs.Shutdown();
  Status flushed = runner->Flush();
  if (!flushed.ok()) log("some events were not recorded: " + flushed.message());
  log("stopped");
  return Status::Ok();
}

}  // namespace tether::server

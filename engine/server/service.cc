#include "engine/server/service.h"

#include <condition_variable>
#include <chrono>
#include <csignal>
#include <memory>
#include <mutex>
#include <thread>

#include "engine/analyze/collect_unused.h"
#include "engine/api/api.h"
#include "engine/event_stream/event_hub.h"
#include "engine/http/http_server.h"
#include "engine/log/log.h"
#include "engine/server/scheduling.h"
#include "engine/server/shutdown_watchdog.h"
#include "engine/workers/scheduler.h"
#include "engine/workers/worker_registration.h"
#include "engine/workers/sync_workers.h"
#include "engine/workers/worker_pool.h"
#include "engine/sync/lease_owner.h"
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

// Collects unused analysis results (as `tether gc`) on a thread of its own,
// with its own connection: first `every` after the start, then every
// `every`, until destroyed. Does nothing when `every` is zero.
class AnalysisCollector {
 public:
  AnalysisCollector(std::string database_url, const plugin_host::PluginHost* plugins, std::chrono::seconds every,
                    int64_t grace_seconds)
      : url_(std::move(database_url)), plugins_(plugins), every_(every), grace_seconds_(grace_seconds) {
    if (every_.count() > 0 && !plugins_->AnalyzerNames().empty()) thread_ = std::thread([this] { Loop(); });
  }

  ~AnalysisCollector() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!wake_.wait_for(lock, every_, [this] { return stop_; })) {
      lock.unlock();
      Collect();
      lock.lock();
    }
  }

  void Collect() {
    Result<std::unique_ptr<db::Database>> db = db::Database::Open(url_);
    Result<int64_t> removed = db.ok() ? analyze::CollectUnusedResults(db->get(), *plugins_, grace_seconds_)
                                      : Result<int64_t>(db.status());
    if (!removed.ok()) {
      logging::LogWarning("analysis garbage collection failed (it runs again later): " + removed.status().ToString());
    } else if (*removed > 0) {
      logging::LogInfo("analysis garbage collection removed " + std::to_string(*removed) + " unused result(s)");
    }
  }

  const std::string url_;
  const plugin_host::PluginHost* plugins_;
  const std::chrono::seconds every_;
  const int64_t grace_seconds_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

// The access log: one line per answered request.
void LogAccess(const http::AccessRecord& record) {
  logging::LogInfo("request", {{"method", record.method},
                               {"route", record.route},
                               {"status", record.status},
                               {"duration_ms", record.duration_ms},
                               {"bytes", record.bytes},
                               {"peer", record.peer}});
}

Status RunService(app::Runtime* runtime, const ServiceOptions& options) {
  auto log = [](const std::string& line) { logging::LogInfo(line); };
  // Refuses to serve a database with pending migrations.
  Result<db::Database*> db = runtime->database();
  if (!db.ok()) return db.status();
  const config::Config& config = runtime->config();
  const plugin_host::PluginHost& plugins = runtime->plugins();
  for (const plugin_host::PluginRecord& plugin : plugins.plugins()) {
    if (plugin.state == plugin_host::PluginState::kBroken) {
      logging::LogWarning("plugin " + plugin.name + " is broken (" + plugin.error + "); projects that use it cannot sync",
                          {{"plugin", plugin.name}});
    }
  }

  http::HttpServerOptions http;
  http.listen = options.listen.empty() ? config.server.listen : options.listen;
  http.io_threads = config.server.io_threads;
  http.access_log = LogAccess;
  Result<http::ListenAddress> address = http::ParseListenAddress(http.listen);
  if (!address.ok()) return address.status();

  // Runs a crashed or killed process left "running" end here, not when
  // their leases expire.
  Result<std::vector<std::string>> recovered = sync::RecoverAbandonedRuns(*db, plugins);
  if (!recovered.ok()) return recovered.status();
  for (const std::string& name : *recovered) {
    logging::LogWarning("project " + name + ": its last run was interrupted (the process running it stopped); it can sync again",
                        {{"project", name}});
  }

  const int sync_workers = options.sync_workers.value_or(config.server.sync_workers);
  // A server that runs syncs is one of the workers (`tether workers`).
  std::unique_ptr<sync::SyncRunner> runner =
      runtime->NewSyncRunner(true, false, sync_workers > 0 ? sync::ThisWorkerId() : std::string());
  std::unique_ptr<workers::WorkerRegistration> registration;
  if (sync_workers > 0) {
    Result<std::unique_ptr<workers::WorkerRegistration>> registered =
        workers::WorkerRegistration::Start(*db, runner.get(), "serve", sync_workers, TETHER_VERSION);
    if (!registered.ok()) return registered.status();
    registration = std::move(registered).value();
  }
  workers::Metrics metrics;
  workers::SyncWorkers syncs(runner.get(), "api", sync_workers, config.server.sync_queue, &metrics);
  // Syncs asked for and due: requests left by runs whose process died, or
  // made while no worker ran, are claimed like any other by the scheduler.
  std::unique_ptr<workers::Scheduler> scheduler =
      StartScheduler(runtime, &syncs, sync_workers, std::chrono::milliseconds(config.server.schedule_poll_ms), &metrics);
  workers::WorkerPool api_workers("api", config.database_url, config.server.api_workers, kApiQueue);
  event_stream::EventHub event_hub(config.database_url, &runner->events(), &api_workers, EventHubOptionsFrom(config.server));
  Status hub_started = event_hub.Start();
  if (!hub_started.ok()) return hub_started;
  AnalysisCollector collector(config.database_url, &plugins, std::chrono::seconds(config.server.analysis_gc_seconds),
                              config.server.analysis_gc_grace_seconds);
  api::Api api(&config, &plugins, &syncs, &api_workers, &event_hub, &metrics);
  api.SetExpectedMigrations(runtime->checked_migrations());  // read once, by runtime->database() above
  api.SetListenHost(address->host);  // POST /mcp's Host check on a loopback address
  http::HttpServer server(http, &api);

  ShutdownWatchdog watchdog;
  server.HandleSignals([&](int signal_number) {
    const int running = syncs.running();
    log(std::string(SignalName(signal_number)) + ": shutting down; " + std::to_string(running) +
        " sync(s) running are cancelled (their writes roll back), " + std::to_string(syncs.queued()) +
        " queued will not start");
    syncs.CancelAll(signal_number == SIGINT ? sync::CancelReason::kInterrupt : sync::CancelReason::kTerminate);
    watchdog.Arm(std::chrono::seconds(config.server.shutdown_grace_seconds), [&syncs] { return syncs.running(); });
  });
  Result<std::string> bound = server.Listen();
  if (!bound.ok()) return bound.status();
  logging::LogInfo("listening on " + *bound, {{"address", *bound}});
  if (options.on_listening) options.on_listening(*bound);

  server.Run();  // returns once the last connection is answered and closed (event streams too)
  api_workers.Shutdown(workers::WorkerPool::ShutdownMode::kDrain);
  event_hub.Stop();
  syncs.OnRunEnd(nullptr);
  scheduler.reset();  // starts nothing more
  syncs.Shutdown();
  registration.reset();
  Status flushed = runner->Flush();
  if (!flushed.ok()) logging::LogError("some events were not recorded: " + flushed.message());
  log("stopped");
  return Status::Ok();
}

}  // namespace tether::server

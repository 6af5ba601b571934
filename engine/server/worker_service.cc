#include "engine/server/worker_service.h"

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "engine/log/log.h"
#include "engine/server/scheduling.h"
#include "engine/server/shutdown_watchdog.h"
#include "engine/sync/lease_owner.h"
#include "engine/sync/run_recovery.h"
#include "engine/sync/sync_runner.h"
#include "engine/workers/scheduler.h"
#include "engine/workers/sync_workers.h"
#include "engine/workers/worker_registration.h"

namespace tether::server {
namespace {

// How long the event log's writer gathers events before it writes them, as
// `tether sync` does: a worker serves no event stream of its own, and the
// server's stream reads other processes' events every second; meanwhile a
// busy worker writes the events of many runs in one transaction.
constexpr std::chrono::milliseconds kEventBatchDelay{200};

}  // namespace

Status RunWorkerService(app::Runtime* runtime, const WorkerServiceOptions& options) {
  // The signals are taken by sigwait below, never by a thread in the middle
  // of its work: blocked here, before any thread starts, and so in all.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  Result<db::Database*> db = runtime->database();  // refuses pending migrations
  if (!db.ok()) return db.status();
  const config::Config& config = runtime->config();
  const int concurrency = options.concurrency.value_or(config.server.sync_workers);
  if (concurrency < 1) return Status::InvalidArgument("a worker runs at least one sync at once (--concurrency 1 or more)");

  // Runs a crashed or killed process of this host left "running" end here.
  Result<std::vector<std::string>> recovered = sync::RecoverAbandonedRuns(*db, runtime->plugins());
  if (!recovered.ok()) return recovered.status();
  for (const std::string& name : *recovered) {
    logging::LogWarning("project " + name + ": its last run was interrupted (the process running it stopped)",
                        {{"project", name}});
  }

  std::unique_ptr<sync::SyncRunner> runner = runtime->NewSyncRunner(true, false, sync::ThisWorkerId());
  runner->events().SetBatchDelay(kEventBatchDelay);
  Result<std::unique_ptr<workers::WorkerRegistration>> registration =
      workers::WorkerRegistration::Start(*db, runner.get(), "worker", concurrency, TETHER_VERSION);
  if (!registration.ok()) return registration.status();
  workers::SyncWorkers syncs(runner.get(), "api", concurrency, 0);
  syncs.HandBackOnStop();
  std::unique_ptr<workers::Scheduler> scheduler =
      StartScheduler(runtime, &syncs, concurrency, std::chrono::milliseconds(config.workers.poll_ms), nullptr);
  logging::LogInfo("worker " + runner->worker_id() + " started: " + std::to_string(concurrency) +
                       " sync(s) at once" +
                       (runner->lease_keeper() != nullptr && runner->lease_keeper()->renews_leases()
                            ? ", leases renewed every " + std::to_string(runner->lease_keeper()->ttl_seconds() / 3) +
                                  " s (timeout " + std::to_string(runner->lease_keeper()->ttl_seconds()) + " s)"
                            : std::string()),
                   {{"worker", runner->worker_id()}, {"concurrency", concurrency}});
  if (options.on_started) options.on_started(runner->worker_id());

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  const int running = syncs.running();
  logging::LogInfo(std::string(signal_number == SIGINT ? "SIGINT" : "SIGTERM") + ": stopping; " +
                       std::to_string(running) +
                       " sync(s) running are handed back (their writes roll back; another worker takes them)",
                   {{"running", running}});
  ShutdownWatchdog watchdog;
  watchdog.Arm(std::chrono::seconds(config.server.shutdown_grace_seconds), [&syncs] { return syncs.running(); });
  syncs.OnRunEnd(nullptr);
  scheduler.reset();  // claims nothing more
  syncs.CancelAll(signal_number == SIGINT ? sync::CancelReason::kInterrupt : sync::CancelReason::kTerminate);
  syncs.Shutdown();
  registration->reset();
  Status flushed = runner->Flush();
  if (!flushed.ok()) logging::LogError("some events were not recorded: " + flushed.message());
  logging::LogInfo("stopped");
  return Status::Ok();
}

}  // namespace tether::server

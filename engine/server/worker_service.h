// `tether worker` as a whole: a process that runs syncs and nothing else.
// It registers in the workers table, claims requested and due syncs from
// the database on its sync workers (workers::Scheduler: FOR UPDATE SKIP
// LOCKED, woken by LISTEN/NOTIFY on PostgreSQL), renews its leases, and on
// SIGTERM or SIGINT hands its work back: running syncs roll back at their
// next check and are asked for again (so that another worker takes them
// at once), queued ones are given back the same way; then it exits.
// Any number of workers, on any number of machines, share one PostgreSQL
// database; on SQLite they share one machine.
#ifndef TETHER_ENGINE_SERVER_WORKER_SERVICE_H_
#define TETHER_ENGINE_SERVER_WORKER_SERVICE_H_

#include <functional>
#include <optional>
#include <string>

#include "engine/app/runtime.h"
#include "tether/status.h"

namespace tether::server {

struct WorkerServiceOptions {
  // Syncs run at once (--concurrency); nullopt: the config's server.sync_workers.
  std::optional<int> concurrency;
  // Called once the worker is registered and looking for work, with its id.
  std::function<void(const std::string&)> on_started;
};

// Runs until SIGTERM or SIGINT. OK after a stop that handed every run back
// within server.shutdown_grace_seconds (the process exits 1 otherwise);
// errors: what stops it from starting (pending migrations, the database).
Status RunWorkerService(app::Runtime* runtime, const WorkerServiceOptions& options);

}  // namespace tether::server

#endif  // TETHER_ENGINE_SERVER_WORKER_SERVICE_H_

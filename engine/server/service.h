// The `tether serve` process: loads the plugins once, makes the sync runner
// (app::Runtime::NewSyncRunner) and starts the API worker pool, the sync
// workers that run syncs through it and the HTTP server, and runs until SIGINT or
// SIGTERM. Then it shuts down gracefully: no new connections, requests in
// flight are answered, running syncs are cancelled (each rolls back at its
// next check and is recorded "cancelled", its lease released), queued syncs
// are recorded as interrupted, events are flushed; it returns OK. Should
// that take longer than server.shutdown_grace_seconds (a sync stuck in a
// provider call), the process logs it and exits with code 1 at once.
//
// Beside the API it runs the event hub (GET /api/v1/events: the EventLog's
// committed batches fanned out to Server-Sent Events streams, and the
// events retention) and keeps the metrics (GET /metrics), whose sync
// counters the sync workers feed.
//
// What it does is logged (engine/log): the start ("listening on ..."), one
// line per answered request (the access log: method, route template,
// status, duration, bytes, peer; never a query string or a header), one per
// webhook delivery, each sync's end, the shutdown.
//
// Thread safety: RunService is called once, from the main thread.
#ifndef TETHER_ENGINE_SERVER_SERVICE_H_
#define TETHER_ENGINE_SERVER_SERVICE_H_

#include <functional>
#include <optional>
#include <string>

#include "engine/app/runtime.h"
#include "tether/status.h"

namespace tether::server {

struct ServiceOptions {
  std::string listen;  // empty: the config's server.listen
  // Sync workers in this process (--workers); nullopt: the config's
  // server.sync_workers. 0: the API and the page only, syncs asked for wait
  // in the database for `tether worker` processes.
  std::optional<int> sync_workers;
  // Called once the socket listens, with the bound "HOST:PORT".
  std::function<void(const std::string&)> on_listening;
};

// Errors: what stops the server from starting (pending migrations, a bad
// listen address, a port in use); OK after a graceful shutdown.
Status RunService(app::Runtime* runtime, const ServiceOptions& options);

}  // namespace tether::server

#endif  // TETHER_ENGINE_SERVER_SERVICE_H_

// The scheduler as `tether serve` and `tether worker` both start it: the
// config's default schedule and limits, the recovery of dead runs on
// SQLite, woken when a run ends.
#ifndef TETHER_ENGINE_SERVER_SCHEDULING_H_
#define TETHER_ENGINE_SERVER_SCHEDULING_H_

#include <chrono>
#include <memory>

#include "engine/app/runtime.h"
#include "engine/workers/metrics.h"
#include "engine/workers/scheduler.h"
#include "engine/workers/sync_workers.h"

namespace tether::server {

// A scheduler feeding `syncs` (`sync_workers` places), looking every
// `poll`. The caller must call syncs->OnRunEnd(nullptr) before destroying
// it.
std::unique_ptr<workers::Scheduler> StartScheduler(app::Runtime* runtime, workers::SyncWorkers* syncs,
                                                   int sync_workers, std::chrono::milliseconds poll,
                                                   workers::Metrics* metrics);

}  // namespace tether::server

#endif  // TETHER_ENGINE_SERVER_SCHEDULING_H_

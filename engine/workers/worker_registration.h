// WorkerRegistration: this process in the workers table (db::WorkerStore)
// for as long as it runs syncs: registered when it starts, beating with the
// renewals of its sync runner's lease keeper, marked stopped when it ends.
// What `tether workers` and GET /api/v1/workers list.
//
// Ownership: borrows the sync runner (which must outlive it and have a
// lease keeper: a runner made with a worker id has one). Thread safety:
// made and destroyed on one thread.
#ifndef TETHER_ENGINE_WORKERS_WORKER_REGISTRATION_H_
#define TETHER_ENGINE_WORKERS_WORKER_REGISTRATION_H_

#include <memory>
#include <string>

#include "engine/db/database.h"
#include "engine/sync/sync_runner.h"
#include "tether/status.h"

namespace tether::workers {

class WorkerRegistration {
 public:
  // Registers the runner's worker (its id: SyncRunner::worker_id()) of
  // `kind` ("worker", "serve") running `concurrency` syncs, on `db`.
  static Result<std::unique_ptr<WorkerRegistration>> Start(db::Database* db, sync::SyncRunner* runner,
                                                           const std::string& kind, int concurrency,
                                                           const std::string& version);
  ~WorkerRegistration();  // stops beating; marks the worker stopped (best effort)

  WorkerRegistration(const WorkerRegistration&) = delete;
  WorkerRegistration& operator=(const WorkerRegistration&) = delete;

 private:
  explicit WorkerRegistration(sync::SyncRunner* runner) : runner_(runner) {}
  sync::SyncRunner* runner_;
};

}  // namespace tether::workers

#endif  // TETHER_ENGINE_WORKERS_WORKER_REGISTRATION_H_

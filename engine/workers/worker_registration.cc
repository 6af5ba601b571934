#include "engine/workers/worker_registration.h"

#include <unistd.h>

#include "engine/db/worker_store.h"
#include "engine/log/log.h"
#include "engine/sync/lease_owner.h"
#include "shared/clock.h"

namespace tether::workers {

Result<std::unique_ptr<WorkerRegistration>> WorkerRegistration::Start(db::Database* db, sync::SyncRunner* runner,
                                                                      const std::string& kind, int concurrency,
                                                                      const std::string& version) {
  sync::LeaseKeeper* keeper = runner->lease_keeper();
  if (keeper == nullptr || runner->worker_id().empty()) {
    return Status::Internal("a worker's sync runner needs a worker id");
  }
  db::WorkerInfo me;
  me.id = runner->worker_id();
  me.host = sync::HostIdentity();
  me.pid = getpid();
  me.version = version;
  me.kind = kind;
  me.concurrency = concurrency;
  me.started_at = NowUnixSeconds();
  TETHER_RETURN_IF_ERROR(db::WorkerStore(db).Register(me));
  const std::string id = me.id;
  keeper->SetHeartbeat([id, runner](db::Database* beat_db) {
    const sync::SyncRunner::Counts counts = runner->counts();
    return db::WorkerStore(beat_db).Heartbeat(id, counts.runs, counts.takeovers, counts.fenced);
  });
  return std::unique_ptr<WorkerRegistration>(new WorkerRegistration(runner));
}

WorkerRegistration::~WorkerRegistration() {
  runner_->lease_keeper()->SetHeartbeat(nullptr);
  Result<std::unique_ptr<db::Database>> db = db::Database::Open(runner_->database_url(), 5000);
  Status stopped = db.ok() ? db::WorkerStore(db->get()).MarkStopped(runner_->worker_id()) : db.status();
  if (!stopped.ok()) {
    logging::LogWarning("cannot record that this worker stopped (it is listed until its heartbeat is old): " +
                        stopped.message());
  }
}

}  // namespace tether::workers

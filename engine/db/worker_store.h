// WorkerStore: the workers table, the processes that run syncs (`tether
// worker`, and `tether serve` when it runs sync workers). Each registers
// when it starts, beats every few seconds (with its lease renewals,
// sync::LeaseKeeper) and marks itself stopped when it ends; one that died
// just stops beating. Listing joins the projects each worker's runs hold.
//
// Thread safety: none; one WorkerStore per Database, used by one thread.
// Errors: Unavailable/Internal for database failures; a failed call changes
// nothing. Not per tenant: only the operator (admin tokens) lists workers.
#ifndef TETHER_ENGINE_DB_WORKER_STORE_H_
#define TETHER_ENGINE_DB_WORKER_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/db/database.h"
#include "tether/status.h"

namespace tether::db {

struct WorkerInfo {
  std::string id;       // "HOST:PID:STARTED" (unique per process)
  std::string host;     // the host identity (sync::HostIdentity)
  int64_t pid = 0;
  std::string version;  // tether's
  std::string kind;     // "worker" or "serve"
  int concurrency = 0;  // syncs it runs at once
  int64_t started_at = 0;    // unix seconds
  int64_t heartbeat_at = 0;  // unix seconds
  std::optional<int64_t> stopped_at;
  // Counted by the process, written with each heartbeat.
  int64_t runs = 0;       // runs finished
  int64_t takeovers = 0;  // leases taken over from a worker that let them expire
  int64_t fenced = 0;     // runs that lost their lease (any commit refused)
  // Filled by List: the projects its runs hold now, as "TENANT/NAME".
  std::vector<std::string> projects;
};

class WorkerStore {
 public:
  explicit WorkerStore(Database* db) : db_(db) {}

  // Records a starting worker (its heartbeat now), and forgets workers that
  // stopped, or last beat, more than a day ago.
  Status Register(const WorkerInfo& worker);
  // Records a heartbeat now, with the worker's counters.
  Status Heartbeat(const std::string& id, int64_t runs, int64_t takeovers, int64_t fenced);
  Status MarkStopped(const std::string& id);
  // Workers not stopped whose last heartbeat is at most `live_seconds` old,
  // by start time.
  Result<std::vector<WorkerInfo>> ListLive(int64_t live_seconds);

 private:
  Database* db_;
};

}  // namespace tether::db

#endif  // TETHER_ENGINE_DB_WORKER_STORE_H_

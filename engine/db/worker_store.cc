#include "engine/db/worker_store.h"

#include <soci/soci.h>

#include <map>

#include "shared/clock.h"
#include "shared/row_values.h"

namespace tether::db {

Status WorkerStore::Register(const WorkerInfo& worker) {
  long long pid = worker.pid, started = worker.started_at, now = NowUnixSeconds(), old = now - 86400;
  int concurrency = worker.concurrency;
  std::string id = worker.id, host = worker.host, version = worker.version, kind = worker.kind;
  return db_->InTransaction([&]() -> Status {
    try {
      db_->session() << "DELETE FROM workers WHERE stopped_at < :old OR heartbeat_at < :old2", soci::use(old),
          soci::use(old);
      db_->session() << "INSERT INTO workers (id, host, pid, version, kind, concurrency, started_at, heartbeat_at)"
                        " VALUES (:id, :h, :p, :v, :k, :c, :s, :b)",
          soci::use(id), soci::use(host), soci::use(pid), soci::use(version), soci::use(kind), soci::use(concurrency),
          soci::use(started), soci::use(now);
    } catch (...) {
      return StatusFromCurrentException("cannot register the worker");
    }
    return Status::Ok();
  });
}

Status WorkerStore::Heartbeat(const std::string& id, int64_t runs, int64_t takeovers, int64_t fenced) {
  long long now = NowUnixSeconds(), r = runs, t = takeovers, f = fenced;
  try {
    db_->session() << "UPDATE workers SET heartbeat_at = :b, runs = :r, takeovers = :t, fenced = :f WHERE id = :id",
        soci::use(now), soci::use(r), soci::use(t), soci::use(f), soci::use(id);
  } catch (...) {
    return StatusFromCurrentException("cannot record the worker's heartbeat");
  }
  return Status::Ok();
}

Status WorkerStore::MarkStopped(const std::string& id) {
  long long now = NowUnixSeconds();
  try {
    db_->session() << "UPDATE workers SET stopped_at = :s WHERE id = :id", soci::use(now), soci::use(id);
  } catch (...) {
    return StatusFromCurrentException("cannot record that the worker stopped");
  }
  return Status::Ok();
}

Result<std::vector<WorkerInfo>> WorkerStore::ListLive(int64_t live_seconds) {
  long long now = NowUnixSeconds(), since = now - live_seconds;
  std::vector<WorkerInfo> workers;
  try {
    soci::rowset<soci::row> rows =
        (db_->session().prepare << "SELECT id, host, pid, version, kind, concurrency, started_at, heartbeat_at,"
                                   " runs, takeovers, fenced FROM workers WHERE stopped_at IS NULL AND heartbeat_at >= :since"
                                   " ORDER BY started_at, id",
         soci::use(since));
    std::map<std::string, size_t> index;
    for (const soci::row& row : rows) {
      WorkerInfo w;
      w.id = RowText(row, 0);
      w.host = RowText(row, 1);
      w.pid = RowInt(row, 2);
      w.version = RowText(row, 3);
      w.kind = RowText(row, 4);
      w.concurrency = static_cast<int>(RowInt(row, 5));
      w.started_at = RowInt(row, 6);
      w.heartbeat_at = RowInt(row, 7);
      w.runs = RowInt(row, 8);
      w.takeovers = RowInt(row, 9);
      w.fenced = RowInt(row, 10);
      index[w.id] = workers.size();
      workers.push_back(std::move(w));
    }
    soci::rowset<soci::row> held =
        (db_->session().prepare << "SELECT s.lease_worker, p.tenant_id, p.name FROM project_syncs s"
                                   " JOIN projects p ON p.id = s.project_id WHERE s.lease_owner IS NOT NULL"
                                   " AND s.lease_expires_at >= :now AND s.lease_worker IS NOT NULL"
                                   " ORDER BY p.tenant_id, p.name",
         soci::use(now));
    for (const soci::row& row : held) {
      auto it = index.find(RowText(row, 0));
      if (it != index.end()) workers[it->second].projects.push_back(RowText(row, 1) + "/" + RowText(row, 2));
    }
  } catch (...) {
    return StatusFromCurrentException("cannot list the workers");
  }
  return workers;
}

}  // namespace tether::db

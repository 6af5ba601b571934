#include "engine/db/event_store.h"

#include <soci/soci.h>

#include "shared/clock.h"
#include "shared/row_values.h"

namespace tether::db {

Result<std::vector<int64_t>> EventStore::Insert(const std::vector<NewEvent>& events) {
  std::vector<int64_t> ids;
  Status status = db_->InTransaction([&]() -> Status {
    ids.clear();
    std::string bound;  // the tenant the transaction runs as, once set
    for (const NewEvent& e : events) {
      if (db_->dialect() == Dialect::kPostgres && !e.tenant.empty() && e.tenant != bound) {
        std::string previous;
        db_->session() << "SELECT set_config('tether.tenant', :t, true)", soci::use(e.tenant), soci::into(previous);
        bound = e.tenant;
      }
      long long project = e.project_id, run = e.run_id, id = 0;
      soci::indicator project_ind = e.project_id > 0 ? soci::i_ok : soci::i_null;
      soci::indicator run_ind = e.run_id > 0 ? soci::i_ok : soci::i_null;
      db_->session() << "INSERT INTO events (project_id, run_id, type, payload, created_at)"
                        " VALUES (:p, :r, :t, :j, :c) RETURNING id",
          soci::use(project, project_ind), soci::use(run, run_ind), soci::use(e.type), soci::use(e.payload),
          soci::use(e.created_at), soci::into(id);
      ids.push_back(static_cast<int64_t>(id));
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return ids;
}

Result<std::vector<StoredEvent>> EventStore::Read(int64_t after_id, int64_t up_to_id, int limit,
                                                  const EventScope* scope) {
  std::string sql =
      "SELECT e.id, e.project_id, e.run_id, e.type, e.payload, e.created_at, p.name, p.tenant_id"
      " FROM events e LEFT JOIN projects p ON p.id = e.project_id WHERE e.id > :after";
  if (up_to_id > 0) sql += " AND e.id <= " + std::to_string(up_to_id);
  long long after = after_id, project = scope != nullptr ? scope->project_id : 0;
  std::string tenant = scope != nullptr ? scope->tenant_id : std::string();
  if (scope != nullptr) {
    sql += scope->project_id > 0 ? " AND e.project_id = :project AND p.tenant_id = :tenant"
                                 : " AND (e.project_id IS NULL OR p.tenant_id = :tenant)";
  }
  sql += " ORDER BY e.id LIMIT " + std::to_string(limit);
  std::vector<StoredEvent> events;
  auto take = [&](soci::rowset<soci::row>& rows) {
    for (const soci::row& row : rows) {
      StoredEvent event;
      event.id = RowInt(row, 0);
      event.project_id = RowInt(row, 1);
      event.run_id = RowInt(row, 2);
      event.type = RowText(row, 3);
      event.payload = RowText(row, 4);
      event.created_at = RowText(row, 5);
      event.project_visible = event.project_id == 0 || row.get_indicator(7) != soci::i_null;
      if (event.project_visible) {
        event.project_name = RowText(row, 6);
        event.tenant_id = RowText(row, 7);
      }
      events.push_back(std::move(event));
    }
  };
  try {
    if (scope == nullptr) {
      soci::rowset<soci::row> rows = (db_->session().prepare << sql, soci::use(after));
      take(rows);
    } else if (scope->project_id > 0) {
      soci::rowset<soci::row> rows =
          (db_->session().prepare << sql, soci::use(after), soci::use(project), soci::use(tenant));
      take(rows);
    } else {
      soci::rowset<soci::row> rows = (db_->session().prepare << sql, soci::use(after), soci::use(tenant));
      take(rows);
    }
  } catch (...) {
    return StatusFromCurrentException("cannot read events");
  }
  return events;
}

Result<int64_t> EventStore::LastId() {
  try {
    soci::row row;
    db_->session() << "SELECT MAX(id) FROM events", soci::into(row);
    return RowInt(row, 0);
  } catch (...) {
    return StatusFromCurrentException("cannot read the last event id");
  }
}

Result<int64_t> EventStore::Prune(const EventRetention& retention) {
  int64_t deleted = 0;
  Status status = db_->InTransaction([&]() -> Status {
    deleted = 0;
    try {
      if (retention.days > 0) {
        // created_at is ISO 8601 UTC throughout, so text order is time order.
        const std::string cutoff = Iso8601FromUnixSeconds(NowUnixSeconds() - int64_t{retention.days} * 86400);
        // The newest event always stays: SQLite gives a new row the largest
        // id + 1, so an empty table would start the ids again from 1, under
        // the Last-Event-ID of every client.
        soci::statement statement =
            (db_->session().prepare << "DELETE FROM events WHERE created_at < :cutoff"
                                       " AND id < (SELECT MAX(id) FROM events)",
             soci::use(cutoff));
        statement.execute(true);
        deleted += statement.get_affected_rows();
      }
      if (retention.max_rows > 0) {
        long long keep = retention.max_rows;
        soci::statement statement =
            (db_->session().prepare << "DELETE FROM events WHERE id <= (SELECT id FROM events ORDER BY id DESC"
                                       " LIMIT 1 OFFSET :keep)",
             soci::use(keep));
        statement.execute(true);
        deleted += statement.get_affected_rows();
      }
    } catch (...) {
      return StatusFromCurrentException("cannot delete old events");
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return deleted;
}

Result<std::unordered_map<int64_t, EventProject>> EventStore::ProjectsOfEvents(int64_t first_id, int64_t last_id) {
  // By the event's own row: a project deleted since took its events with it
  // (ON DELETE CASCADE), so a project id reused since never lends an event
  // its name or tenant.
  std::unordered_map<int64_t, EventProject> projects;
  try {
    long long first = first_id, last = last_id;
    soci::rowset<soci::row> rows =
        (db_->session().prepare << "SELECT e.id, p.name, p.tenant_id FROM events e JOIN projects p ON p.id = e.project_id"
                                   " WHERE e.id >= :first AND e.id <= :last",
         soci::use(first), soci::use(last));
    for (const soci::row& row : rows) {
      projects.emplace(RowInt(row, 0), EventProject{RowText(row, 1), RowText(row, 2)});
    }
  } catch (...) {
    return StatusFromCurrentException("cannot read the projects of events");
  }
  return projects;
}

Result<std::unordered_map<int64_t, EventProject>> EventStore::Projects(const std::vector<int64_t>& project_ids) {
  std::unordered_map<int64_t, EventProject> projects;
  try {
    for (int64_t project_id : project_ids) {
      if (project_id <= 0 || projects.count(project_id) != 0) continue;
      long long id = project_id;
      std::string name, tenant;
      soci::indicator name_ind = soci::i_null, tenant_ind = soci::i_null;
      db_->session() << "SELECT name, tenant_id FROM projects WHERE id = :id", soci::use(id),
          soci::into(name, name_ind), soci::into(tenant, tenant_ind);
      if (db_->session().got_data()) projects.emplace(project_id, EventProject{name, tenant});
    }
  } catch (...) {
    return StatusFromCurrentException("cannot read the projects of events");
  }
  return projects;
}

}  // namespace tether::db

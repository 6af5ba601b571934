#include "engine/db/event_store.h"

#include <soci/soci.h>

#include <algorithm>

#include "shared/clock.h"
#include "shared/row_values.h"

namespace tether::db {

namespace {

// Rows per INSERT statement (five values each).
constexpr size_t kRowsPerInsert = 200;

}  // namespace

Result<std::vector<int64_t>> EventStore::Insert(const std::vector<NewEvent>& events) {
  std::vector<int64_t> ids;
  Status status = db_->InTransaction([&]() -> Status {
    ids.clear();
    // A run of events of one tenant (and at most kRowsPerInsert) at a time,
    // in one statement: that tenant is set once for them on PostgreSQL.
    for (size_t first = 0; first < events.size();) {
      const std::string& tenant = events[first].tenant;
      size_t end = first + 1;
      while (end < events.size() && end - first < kRowsPerInsert && events[end].tenant == tenant) ++end;
      if (db_->dialect() == Dialect::kPostgres && !tenant.empty()) {
        std::string previous;
        db_->session() << "SELECT set_config('tether.tenant', :t, true)", soci::use(tenant), soci::into(previous);
      }
      const size_t n = end - first;
      std::vector<long long> projects(n), runs(n);
      std::vector<soci::indicator> project_ind(n), run_ind(n);
      std::string sql = "INSERT INTO events (project_id, run_id, type, payload, created_at) VALUES ";
      for (size_t i = 0; i < n; ++i) {
        const NewEvent& e = events[first + i];
        projects[i] = e.project_id;
        runs[i] = e.run_id;
        project_ind[i] = e.project_id > 0 ? soci::i_ok : soci::i_null;
        run_ind[i] = e.run_id > 0 ? soci::i_ok : soci::i_null;
        const std::string k = std::to_string(i);
        sql += (i == 0 ? "" : ", ") + ("(:p" + k + ", :r" + k + ", :t" + k + ", :j" + k + ", :c" + k + ")");
      }
      sql += " RETURNING id";
      soci::statement st = (db_->session().prepare << sql);
      for (size_t i = 0; i < n; ++i) {
        const NewEvent& e = events[first + i];
        st.exchange(soci::use(projects[i], project_ind[i]));
        st.exchange(soci::use(runs[i], run_ind[i]));
        st.exchange(soci::use(e.type));
        st.exchange(soci::use(e.payload));
        st.exchange(soci::use(e.created_at));
      }
      long long id = 0;
      st.exchange(soci::into(id));
      st.define_and_bind();
      st.execute(false);
      std::vector<int64_t> block;
      while (st.fetch()) block.push_back(static_cast<int64_t>(id));
      if (block.size() != n) {
        return Status::Internal("inserting " + std::to_string(n) + " events returned " + std::to_string(block.size()) +
                                " ids");
      }
      // The rows take their ids in the order they are listed: whatever
      // order RETURNING gives them in, the smallest is the first row's.
      std::sort(block.begin(), block.end());
      ids.insert(ids.end(), block.begin(), block.end());
      first = end;
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

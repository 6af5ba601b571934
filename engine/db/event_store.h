// EventStore: the events table. Every statement on `events` is here: the
// event log's writer inserts through it, the event stream reads, finds
// the last id and prunes through it.
//
// Rows are read with their project's name and tenant (a LEFT JOIN on
// projects): an event whose project the connection cannot see (deleted, or
// another tenant's under row-level security) comes with `project_visible`
// false and no name, so that a reader can still account for its id.
//
// Ownership: borrows the Database, which must outlive the store.
// Thread safety: none beyond the Database's (one thread at a time).
// Errors: the database's, as a Status (Unavailable when it is busy or
// unreachable); a failed call changes nothing.
#ifndef TETHER_ENGINE_DB_EVENT_STORE_H_
#define TETHER_ENGINE_DB_EVENT_STORE_H_

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/db/database.h"
#include "tether/status.h"

namespace tether::db {

// An event to insert.
struct NewEvent {
  int64_t project_id = 0;  // 0: not tied to a project
  int64_t run_id = 0;      // 0: not tied to a run
  // Inserted as this tenant under row-level security (PostgreSQL); empty:
  // as the connection's own.
  std::string tenant;
  std::string type;     // "run.started", ...
  std::string payload;  // a JSON object
  std::string created_at;
};

// An event as the table holds it, with its project's name and tenant.
struct StoredEvent {
  int64_t id = 0;
  int64_t project_id = 0;  // 0: not tied to a project
  int64_t run_id = 0;
  std::string type;
  std::string payload;
  std::string created_at;
  bool project_visible = false;  // true also when project_id is 0
  std::string project_name;      // "" when not visible or none
  std::string tenant_id;
};

// Which events a reader asks for: one tenant's, of one project or of all
// (with the events tied to no project).
struct EventScope {
  std::string tenant_id;
  int64_t project_id = 0;  // 0: every project of the tenant
};

// How long events are kept: older than `days`, and beyond the newest
// `max_rows`, they are deleted. The newest event always stays, so that ids
// never start again (see Prune).
struct EventRetention {
  int days = 30;         // 0: no age limit
  int64_t max_rows = 0;  // 0: no row limit
};

// A project's name and tenant, as an event shows it.
struct EventProject {
  std::string name;
  std::string tenant_id;
};

class EventStore {
 public:
  explicit EventStore(Database* db) : db_(db) {}

  // Inserts `events` in order, in one transaction (the caller's, when one
  // is open), each as its tenant; returns the ids the table gave them.
  Result<std::vector<int64_t>> Insert(const std::vector<NewEvent>& events);

  // Events with `after_id` < id <= `up_to_id` (0: no upper bound), in id
  // order, at most `limit`. With a scope, only its events whose project is
  // visible; without (nullptr), every row.
  Result<std::vector<StoredEvent>> Read(int64_t after_id, int64_t up_to_id, int limit, const EventScope* scope);

  // The largest id; 0 for an empty table.
  Result<int64_t> LastId();

  // Deletes what `retention` no longer keeps; returns how many rows.
  Result<int64_t> Prune(const EventRetention& retention);

  // The visible projects of the events with ids in [first_id, last_id], by
  // event id (events tied to no project, or to one not visible, are absent).
  Result<std::unordered_map<int64_t, EventProject>> ProjectsOfEvents(int64_t first_id, int64_t last_id);

  // The name and tenant of each visible project in `project_ids`, by
  // project id.
  Result<std::unordered_map<int64_t, EventProject>> Projects(const std::vector<int64_t>& project_ids);

 private:
  Database* db_;
};

}  // namespace tether::db

#endif  // TETHER_ENGINE_DB_EVENT_STORE_H_

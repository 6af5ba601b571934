// Retention of the events table: events older than a number of days, and
// beyond a number of rows (the newest are kept), are deleted; the newest
// event always stays, so that ids never start again (see the .cc). The event
// hub runs it at start and then periodically (config server.
// events_retention_days, events_max_rows, events_prune_seconds).
//
// Thread safety: none beyond the Database's.
// Errors: the database's, as a Status; nothing is deleted then.
#ifndef TETHER_ENGINE_SERVER_EVENT_RETENTION_H_
#define TETHER_ENGINE_SERVER_EVENT_RETENTION_H_

#include <cstdint>

#include "engine/db/database.h"
#include "tether/status.h"

namespace tether::server {

struct EventRetention {
  int days = 30;         // 0: no age limit
  int64_t max_rows = 0;  // 0: no row limit
};

// Returns how many events were deleted.
Result<int64_t> PruneEvents(db::Database* db, const EventRetention& retention);

}  // namespace tether::server

#endif  // TETHER_ENGINE_SERVER_EVENT_RETENTION_H_

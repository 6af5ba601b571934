#include "engine/server/event_retention.h"

#include <soci/soci.h>

#include "shared/clock.h"
#include "shared/sql_connect.h"

namespace tether::server {

Result<int64_t> PruneEvents(db::Database* db, const EventRetention& retention) {
  int64_t deleted = 0;
  try {
    if (retention.days > 0) {
      // created_at is ISO 8601 UTC throughout, so text order is time order.
      const std::string cutoff = Iso8601FromUnixSeconds(NowUnixSeconds() - int64_t{retention.days} * 86400);
      // The newest event always stays: SQLite gives a new row the largest
      // id + 1, so an empty table would start the ids again from 1, under
      // the Last-Event-ID of every client.
      soci::statement statement =
          (db->session().prepare << "DELETE FROM events WHERE created_at < :cutoff"
                                    " AND id < (SELECT MAX(id) FROM events)",
           soci::use(cutoff));
      statement.execute(true);
      deleted += statement.get_affected_rows();
    }
    if (retention.max_rows > 0) {
      long long keep = retention.max_rows;
      soci::statement statement =
          (db->session().prepare << "DELETE FROM events WHERE id <= (SELECT id FROM events ORDER BY id DESC"
                                    " LIMIT 1 OFFSET :keep)",
           soci::use(keep));
      statement.execute(true);
      deleted += statement.get_affected_rows();
    }
  } catch (...) {
    return db::StatusFromCurrentException("cannot delete old events");
  }
  return deleted;
}

}  // namespace tether::server

// Internal to the migration classifier (migration_classifier.h): the table
// rebuild (a table copied into another one, the old one dropped and the copy
// renamed to the old name, in either order), found after all statements
// from what the TableTracker saw.
//
// Thread safety: pure apart from calling MigrationFacts::table_columns.
#ifndef TETHER_ENGINE_MIGRATE_REBUILD_DETECTION_H_
#define TETHER_ENGINE_MIGRATE_REBUILD_DETECTION_H_

#include <vector>

#include "engine/migrate/findings.h"
#include "engine/migrate/migration_classifier.h"
#include "engine/migrate/table_tracker.h"

namespace tether::migrate::classifier {

// Adds a table-rebuild finding to `candidates` for each rebuild, on the old
// table, and marks the DROP TABLE and RENAME findings it covers.
void FindRebuilds(const TableTracker& tables, SqlDialect dialect, const MigrationFacts& facts,
                  std::vector<Candidate>* candidates);

}  // namespace tether::migrate::classifier

#endif  // TETHER_ENGINE_MIGRATE_REBUILD_DETECTION_H_

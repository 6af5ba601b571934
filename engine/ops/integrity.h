// Integrity checks and backfills an operator runs after a production
// migration, to know that nothing was lost (`tether verify`) and that every
// row a new schema expects is there (`tether backfill`).
//
// Thread safety: uses the Runtime's database and plugins from one thread.
#ifndef TETHER_ENGINE_OPS_INTEGRITY_H_
#define TETHER_ENGINE_OPS_INTEGRITY_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/app/runtime.h"
#include "tether/status.h"

namespace tether::ops {

struct IntegrityReport {
  std::string checked_at;                                    // when it started, ISO 8601 UTC
  bool deep = false;                                         // rows compared with the trees too
  std::vector<std::pair<std::string, int64_t>> table_rows;  // table -> rows
  std::string evidence_of;                                   // migration whose evidence was compared
  std::vector<std::string> problems;                         // empty: all is well
  std::vector<std::string> notes;                            // worth knowing, not a problem
};

// Row counts; protected columns against the last migration's evidence;
// projects whose cursor commit their repository no longer has (with how
// many documents were synced at it); projects without a project_syncs row.
// With `deep`, also every stored row of every synced project against the
// tree of its cursor commit, as the provider reads it: each path of the
// tree that is not stored (paths the engine refuses excepted), each stored
// path the tree does not have, and each path stored with another blob or
// mode, is a problem.
//
// On `db` with `plugins` (both borrowed for the call), or on a Runtime's.
// On PostgreSQL it sees what the connection's role and tenant see.
Result<IntegrityReport> CheckIntegrity(db::Database* db, const plugin_host::PluginHost& plugins, bool deep);
Result<IntegrityReport> CheckIntegrity(app::Runtime* runtime, bool deep = false);

// The report as one JSON object: {"checked_at", "deep", "ok", "evidence_of"
// (null when none), "table_rows": {table: rows}, "problems": [...],
// "notes": [...]}; what `tether --json verify` prints and the API answers.
std::string IntegrityReportJson(const IntegrityReport& report);

// Records the report in verify_reports (engine/db/verify_report_store.h),
// `trigger` "cli" or "api".
Status RecordIntegrityReport(db::Database* db, const IntegrityReport& report, const std::string& trigger);

// Creates what the current schema expects and older data may lack: a
// project_syncs row for every project (disabled, to be configured).
// Idempotent. Returns one line per change made.
Result<std::vector<std::string>> Backfill(db::Database* db, const config::Defaults& defaults);
Result<std::vector<std::string>> Backfill(app::Runtime* runtime);

}  // namespace tether::ops

#endif  // TETHER_ENGINE_OPS_INTEGRITY_H_

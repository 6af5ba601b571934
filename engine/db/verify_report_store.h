// VerifyReportStore: the verify_reports table, the record of each `tether
// verify` (from the CLI or POST /api/v1/admin/verify). A report covers the
// whole database; only admin tokens read it through the API, and the web
// page shows the last one. The newest kKept are kept.
//
// Ownership: borrows the Database, which must outlive the store.
// Thread safety: none beyond the Database's (one thread at a time).
// Errors: the database's, as a Status; a failed call changes nothing.
#ifndef TETHER_ENGINE_DB_VERIFY_REPORT_STORE_H_
#define TETHER_ENGINE_DB_VERIFY_REPORT_STORE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "engine/db/database.h"
#include "tether/status.h"

namespace tether::db {

struct VerifyReportRow {
  int64_t id = 0;
  std::string created_at;  // ISO 8601, UTC
  std::string trigger;     // "cli", "api"
  bool deep = false;
  bool ok = false;         // no problem found
  std::string report;      // a JSON object (ops::IntegrityReportJson)
};

class VerifyReportStore {
 public:
  static constexpr int64_t kKept = 100;

  explicit VerifyReportStore(Database* db) : db_(db) {}

  // Records a report (its id is set) and drops those beyond the newest kKept.
  Status Record(VerifyReportRow* row);
  // The newest report; nullopt when there is none.
  Result<std::optional<VerifyReportRow>> Last();

 private:
  Database* db_;
};

}  // namespace tether::db

#endif  // TETHER_ENGINE_DB_VERIFY_REPORT_STORE_H_

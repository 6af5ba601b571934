#include "engine/db/verify_report_store.h"

#include <soci/soci.h>

#include "shared/row_values.h"

namespace tether::db {

Status VerifyReportStore::Record(VerifyReportRow* row) {
  const int deep = row->deep ? 1 : 0;
  const int ok = row->ok ? 1 : 0;
  return db_->InTransaction([&]() -> Status {
    long long id = 0;
    db_->session() << "INSERT INTO verify_reports (created_at, trigger, deep, ok, report)"
                      " VALUES (:c, :t, :d, :o, :r) RETURNING id",
        soci::use(row->created_at), soci::use(row->trigger), soci::use(deep), soci::use(ok), soci::use(row->report),
        soci::into(id);
    row->id = id;
    const long long oldest_kept = id - kKept;
    db_->session() << "DELETE FROM verify_reports WHERE id <= :k", soci::use(oldest_kept);
    return Status::Ok();
  });
}

Result<std::optional<VerifyReportRow>> VerifyReportStore::Last() {
  try {
    soci::rowset<soci::row> rows = (db_->session().prepare
                                    << "SELECT id, created_at, trigger, deep, ok, report FROM verify_reports"
                                       " ORDER BY id DESC LIMIT 1");
    for (const soci::row& r : rows) {
      VerifyReportRow row;
      row.id = RowInt(r, 0);
      row.created_at = RowText(r, 1);
      row.trigger = RowText(r, 2);
      row.deep = RowInt(r, 3) != 0;
      row.ok = RowInt(r, 4) != 0;
      row.report = RowText(r, 5);
      return std::optional<VerifyReportRow>(std::move(row));
    }
  } catch (...) {
    return StatusFromCurrentException("cannot read the last verify report");
  }
  return std::optional<VerifyReportRow>();
}

}  // namespace tether::db

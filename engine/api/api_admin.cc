// Api: the operator routes, for admin tokens only (`tether token create
// --admin`): under /api/v1/admin/, the checks of `tether verify` and the
// fixes of `tether backfill` (engine/ops), for operators without a shell on
// the host; and GET /api/v1/workers, the live workers (`tether workers`),
// whose running projects span every tenant. Each runs on a connection of its own, opened with the server's
// database URL and bound to no token's tenant, so that it sees the whole
// database as `tether verify` would with the same config (on PostgreSQL:
// what the server's role sees).
#include <memory>
#include <optional>
#include <string>

#include <rapidjson/document.h>

#include "engine/api/api.h"
#include "engine/api/json_body.h"
#include "engine/common/json_writer.h"
#include "engine/db/verify_report_store.h"
#include "engine/db/worker_store.h"
#include "engine/log/log.h"
#include "engine/ops/integrity.h"
#include "engine/views/json_views.h"

namespace tether::api {
namespace {

// The stored report with its record's id and trigger, as the API shows it.
std::string StoredReportJson(const db::VerifyReportRow& row) {
  rapidjson::Document report;
  report.Parse(row.report.c_str(), row.report.size());
  JsonWriter json;
  json.Begin().Int("id", row.id).Str("trigger", row.trigger).BeginObject("report");
  if (!report.HasParseError() && report.IsObject()) {
    for (auto& member : report.GetObject()) {
      json.writer().Key(member.name.GetString(), member.name.GetStringLength());
      member.value.Accept(json.writer());
    }
  }
  return json.End().End().Text();
}

}  // namespace

Result<std::unique_ptr<db::Database>> Api::AdminDatabase() {
  return db::Database::Open(config_->database_url);
}

HttpResponse Api::AdminVerify(Call& call) {
  if (std::optional<Problem> bad = CheckQuery(call, {})) return Fail(*bad);
  rapidjson::Document body;
  if (std::optional<Problem> bad = ReadJsonBody(call.request, "VerifyRequest", true, &body)) return Fail(*bad);
  const bool deep = body.HasMember("deep") && body["deep"].GetBool();
  Result<std::unique_ptr<db::Database>> db = AdminDatabase();
  if (!db.ok()) return Fail(Status::Unavailable("cannot reach the database: " + db.status().message()));
  Result<ops::IntegrityReport> report = ops::CheckIntegrity(db->get(), *plugins_, deep);
  if (!report.ok()) return Fail(report.status());
  db::VerifyReportRow row;
  row.created_at = report->checked_at;
  row.trigger = "api";
  row.deep = deep;
  row.ok = report->problems.empty();
  row.report = ops::IntegrityReportJson(*report);
  Status recorded = db::VerifyReportStore(db->get()).Record(&row);
  if (!recorded.ok()) return Fail(recorded);
  logging::Log(row.ok ? logging::LogLevel::kInfo : logging::LogLevel::kWarning,
               std::string(deep ? "deep verify" : "verify") + " by admin token " + call.token.name + ": " +
                   (row.ok ? std::string("no problems") : std::to_string(report->problems.size()) + " problem(s)"),
               {{"token", call.token.name}, {"deep", deep}, {"problems", static_cast<int64_t>(report->problems.size())},
                {"report_id", row.id}});
  return Json(200, StoredReportJson(row));
}

HttpResponse Api::LastVerifyReport(Call& call) {
  if (std::optional<Problem> bad = CheckQuery(call, {})) return Fail(*bad);
  Result<std::unique_ptr<db::Database>> db = AdminDatabase();
  if (!db.ok()) return Fail(Status::Unavailable("cannot reach the database: " + db.status().message()));
  Result<std::optional<db::VerifyReportRow>> last = db::VerifyReportStore(db->get()).Last();
  if (!last.ok()) return Fail(last.status());
  if (!*last) {
    return Fail(ProblemType::kNotFound,
                "no verify report yet: run POST /api/v1/admin/verify, or `tether verify` on the host");
  }
  return Json(200, StoredReportJson(**last));
}

HttpResponse Api::ListWorkers(Call& call) {
  if (std::optional<Problem> bad = CheckQuery(call, {})) return Fail(*bad);
  Result<std::unique_ptr<db::Database>> db = AdminDatabase();
  if (!db.ok()) return Fail(Status::Unavailable("cannot reach the database: " + db.status().message()));
  // Live: beat within two lease timeouts (a beat comes every third of one).
  Result<std::vector<db::WorkerInfo>> workers =
      db::WorkerStore(db->get()).ListLive(2 * config_->workers.lease_timeout_seconds);
  if (!workers.ok()) return Fail(workers.status());
  JsonWriter json;
  json.Begin().BeginArray("workers");
  for (const db::WorkerInfo& w : *workers) views::WriteWorker(json, w);
  return Json(200, json.EndArray().End().Text());
}

HttpResponse Api::AdminBackfill(Call& call) {
  if (std::optional<Problem> bad = CheckQuery(call, {})) return Fail(*bad);
  rapidjson::Document body;
  if (std::optional<Problem> bad = ReadJsonBody(call.request, "BackfillRequest", true, &body)) return Fail(*bad);
  Result<std::unique_ptr<db::Database>> db = AdminDatabase();
  if (!db.ok()) return Fail(Status::Unavailable("cannot reach the database: " + db.status().message()));
  Result<std::vector<std::string>> changes = ops::Backfill(db->get(), config_->defaults);
  if (!changes.ok()) return Fail(changes.status());
  logging::LogInfo("backfill by admin token " + call.token.name + ": " + std::to_string(changes->size()) +
                       " change(s)",
                   {{"token", call.token.name}, {"changes", static_cast<int64_t>(changes->size())}});
  JsonWriter json;
  return Json(200, json.Begin().List("changes", *changes).End().Text());
}

}  // namespace tether::api

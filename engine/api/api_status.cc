// Api: /healthz, the OpenAPI document and the status summary.
#include <map>
#include <optional>

#include "engine/common/json_writer.h"
#include "engine/api/api.h"
#include "engine/api/openapi.h"
#include "engine/sync/run_states.h"

namespace tether::api {

HttpResponse Api::Health(Call& call) {
  if (std::optional<Problem> bad = CheckQuery(call, {})) return Fail(*bad);
  Status reachable = call.db->Execute("SELECT 1", "health check");
  if (!reachable.ok()) return Fail(Status::Unavailable("the database does not answer: " + reachable.message()));
  return Json(200, JsonWriter().Begin().Str("status", "ok").Str("database", "ok").End().Text());
}

HttpResponse Api::OpenApi(Call& call) {
  if (std::optional<Problem> bad = CheckQuery(call, {})) return Fail(*bad);
  return Json(200, std::string(OpenApiText()));
}

HttpResponse Api::GetStatus(Call& call) {
  if (std::optional<Problem> bad = CheckQuery(call, {})) return Fail(*bad);
  db::ProjectStore projects(call.db);
  Result<std::vector<db::Project>> all = projects.List();
  if (!all.ok()) return Fail(all.status());
  std::map<std::string, int64_t> by_status;
  int64_t total = 0;
  std::vector<const db::Project*> failing;
  for (const db::Project& project : *all) {
    if (project.tenant_id != call.token.tenant_id) continue;
    ++total;
    ++by_status[project.status];
    const std::optional<sync::ProjectStatus> status = sync::ParseProjectStatus(project.status);
    if (status == sync::ProjectStatus::kFailed || status == sync::ProjectStatus::kBranchMissing) {
      failing.push_back(&project);
    }
  }
  const auto uptime =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_).count();
  JsonWriter json;
  json.Begin().Str("version", TETHER_VERSION).Str("tenant", call.token.tenant_id).Int("uptime_seconds", uptime);
  json.BeginObject("projects").Int("total", total).BeginObject("by_status");
  for (const auto& [status, count] : by_status) json.Int(status.c_str(), count);
  json.End().End();
  json.BeginObject("syncs").Int("running", syncs_->running()).Int("queued", syncs_->queued()).End();
  json.BeginArray("failing");
  for (const db::Project* project : failing) {
    json.writer().StartObject();
    json.Str("name", project->name).Str("status", project->status).Str("last_error", project->last_error);
    json.writer().EndObject();
  }
  json.EndArray().End();
  return Json(200, json.Text());
}

}  // namespace tether::api

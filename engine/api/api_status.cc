// Api: /healthz and /readyz, the OpenAPI document and the status summary.
#include <map>
#include <optional>

#include "engine/common/json_writer.h"
#include "engine/api/api.h"
#include "engine/api/openapi.h"
#include "engine/sync/run_states.h"

namespace tether::api {

HttpResponse Api::Health(Call& call) {
  // Liveness: the process answers. Nothing else is asked, so that a
  // database outage never gets a live server restarted (see Ready).
  if (std::optional<Problem> bad = CheckQuery(call, {})) return Fail(*bad);
  return Json(200, JsonWriter().Begin().Str("status", "ok").End().Text());
}

HttpResponse Api::Ready(Call& call) {
  if (std::optional<Problem> bad = CheckQuery(call, {})) return Fail(*bad);
  // Each check: "ok" or what is wrong. Ready when all are "ok".
  std::string database = "ok", migrations = "ok", plugins = "ok";
  Status reachable = call.db->Execute("SELECT 1", "readiness check");
  if (!reachable.ok()) database = "the database does not answer: " + reachable.message();
  if (reachable.ok() && !migrations_.empty()) {
    migrate::Migrator migrator(call.db, migrations_);
    Result<std::vector<migrate::MigrationState>> states = migrator.Status();
    if (!states.ok()) {
      migrations = "cannot read the applied migrations: " + states.status().message();
    } else {
      std::vector<std::string> pending, changed;
      for (const migrate::MigrationState& state : *states) {
        if (state.changed) changed.push_back(state.migration.name);
        else if (!state.applied) pending.push_back(state.migration.name);
      }
      auto list = [](const std::vector<std::string>& names) {
        std::string text;
        for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
        return text;
      };
      if (!changed.empty()) migrations = "changed after they were applied: " + list(changed);
      else if (!pending.empty()) migrations = "pending: " + list(pending) + " (run `tether migrate apply`)";
    }
  }
  std::vector<std::string> broken;
  for (const plugin_host::PluginRecord& plugin : plugins_->plugins()) {
    if (plugin.state == plugin_host::PluginState::kBroken) broken.push_back(plugin.name + " (" + plugin.error + ")");
  }
  if (!broken.empty()) {
    plugins = "broken: ";
    for (size_t i = 0; i < broken.size(); ++i) plugins += (i > 0 ? ", " : "") + broken[i];
  }
  const bool ready = database == "ok" && migrations == "ok" && plugins == "ok";
  // Any peer may probe; what is wrong is said only to those who may read
  // the server's health in full (as /metrics): loopback, or everyone when
  // allow_unauthenticated_health. Others learn which check fails.
  if (!call.request.peer_is_loopback && !config_->server.allow_unauthenticated_health) {
    for (std::string* check : {&database, &migrations, &plugins}) {
      if (*check != "ok") *check = "failing";
    }
  }
  JsonWriter json;
  json.Begin().Str("status", ready ? "ready" : "not_ready").BeginObject("checks").Str("database", database)
      .Str("migrations", migrations).Str("plugins", plugins).End();
  return Json(ready ? 200 : 503, json.End().Text());
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
  json.BeginObject("token").Str("name", call.token.name).Str("scope", auth::TokenScopeName(call.token.scope)).End();
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

// Api: a project's runs, with phase timings and errors; cancelling one.
#include <rapidjson/document.h>

#include "engine/views/json_views.h"
#include "engine/common/json_writer.h"
#include "engine/db/run_store.h"
#include "engine/api/api.h"
#include "engine/api/json_body.h"
#include "engine/sync/cancellation.h"
#include "shared/percent_encoding.h"

namespace tether::api {
namespace {

constexpr int64_t kDefaultRuns = 20;
constexpr int64_t kMaxRuns = 200;

void WriteRun(JsonWriter& json, const db::SyncRun& run, const std::string& project) {
  json.Int("id", run.id).Str("project", project).Str("trigger", run.trigger).Str("outcome", run.outcome)
      .Str("started_at", run.started_at).StrOrNull("finished_at", run.finished_at);
  views::WriteRunResultMembers(json, run);
  json.StrOrNull("error", run.error);
}

// A run id from the path: digits only, at least 1.
bool ParseRunId(const std::string& text, int64_t* id) {
  if (text.empty() || text.size() > 18) return false;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *id = value;
  return value > 0;
}

// Not a positive integer: a bad request, as the OpenAPI document says (an
// integer of 19 digits or more names no run: ParseRunId refuses it, a 404).
std::optional<Problem> BadRunId(const std::string& id_text) {
  const bool digits = !id_text.empty() && id_text.find_first_not_of("0123456789") == std::string::npos;
  if (digits && id_text.find_first_not_of('0') != std::string::npos) return std::nullopt;
  Problem problem;
  problem.type = ProblemType::kInvalidParameter;
  problem.parameter = "id";
  problem.detail = "the run id must be a positive integer";
  return problem;
}

}  // namespace

HttpResponse Api::ListRuns(Call& call) {
  if (std::optional<Problem> bad = CheckQuery(call, {"limit"})) return Fail(*bad);
  int64_t limit = kDefaultRuns;
  if (std::optional<Problem> bad = IntParam(call, "limit", 1, kMaxRuns, &limit)) return Fail(*bad);
  Result<db::Project> project = LoadProject(call);
  if (!project.ok()) return Fail(project.status());
  db::RunStore runs(call.db);
  Result<std::vector<db::SyncRun>> recent = runs.List(project->id, static_cast<int>(limit));
  if (!recent.ok()) return Fail(recent.status());
  JsonWriter json;
  json.Begin().BeginArray("runs");
  for (const db::SyncRun& run : *recent) {
    json.writer().StartObject();
    WriteRun(json, run, project->name);
    json.writer().EndObject();
  }
  json.EndArray().End();
  return Json(200, json.Text());
}

HttpResponse Api::GetRun(Call& call) {
  if (std::optional<Problem> bad = CheckQuery(call, {})) return Fail(*bad);
  Result<db::Project> project = LoadProject(call);
  if (!project.ok()) return Fail(project.status());
  const std::string& id_text = call.params["id"];
  int64_t id = 0;
  const std::string missing = "project \"" + project->name + "\" has no run " + id_text;
  if (std::optional<Problem> bad = BadRunId(id_text)) return Fail(*bad);
  if (!ParseRunId(id_text, &id)) return Fail(ProblemType::kNotFound, missing);
  db::RunStore runs(call.db);
  Result<db::SyncRun> run = runs.Get(id);
  if (!run.ok() && run.status().code() == StatusCode::kNotFound) return Fail(ProblemType::kNotFound, missing);
  if (!run.ok()) return Fail(run.status());
  if (run->project_id != project->id) return Fail(ProblemType::kNotFound, missing);
  JsonWriter json;
  json.Begin();
  WriteRun(json, *run, project->name);
  json.End();
  return Json(200, json.Text());
}

HttpResponse Api::CancelRun(Call& call) {
  if (std::optional<Problem> bad = CheckQuery(call, {})) return Fail(*bad);
  Result<db::Project> project = LoadProject(call);
  if (!project.ok()) return Fail(project.status());
  const std::string& id_text = call.params["id"];
  int64_t id = 0;
  if (std::optional<Problem> bad = BadRunId(id_text)) return Fail(*bad);
  if (!ParseRunId(id_text, &id)) {
    return Fail(ProblemType::kNotFound, "project \"" + project->name + "\" has no run " + id_text);
  }
  rapidjson::Document body;
  if (std::optional<Problem> bad = ReadJsonBody(call.request, "CancelRequest", true, &body)) return Fail(*bad);
  // Through the database, so that it reaches the run in whatever process
  // runs it (this server's workers, a `tether sync`, another server).
  Result<sync::CancelAnswer> answer = sync::RequestCancel(call.db, *project, id);
  if (!answer.ok()) return Fail(answer.status());
  if (!answer->requested) return Fail(ProblemType::kConflict, answer->detail);
  const std::string url = "/api/v1/projects/" + PercentEncode(project->name) + "/runs/" + std::to_string(id);
  JsonWriter json;
  json.Begin().Int("run_id", id).Str("project", project->name).Str("url", url).End();
  HttpResponse response = Json(202, json.Text());
  response.headers.emplace_back("Location", url);
  return response;
}

}  // namespace tether::api

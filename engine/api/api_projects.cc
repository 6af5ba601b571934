// Api: projects (list, create, get, update, delete), their branches, and
// starting a sync.
#include <rapidjson/document.h>

#include "engine/views/json_views.h"
#include "engine/projects/project_service.h"
#include "shared/clock.h"
#include "engine/common/json_writer.h"
#include "shared/percent_encoding.h"
#include "engine/api/api.h"
#include "engine/api/json_body.h"
#include "engine/sync/stored_cursor.h"
#include "tether/storage.h"

namespace tether::api {
namespace {

std::string ProjectUrl(const std::string& name) { return "/api/v1/projects/" + PercentEncode(name); }

// The last synced commit as the project's storage holds it; null in the
// project's JSON when the storage cannot say (the project is still listed).
std::string CursorOrNone(const plugin_host::PluginHost& plugins, const db::Project& project) {
  return sync::StoredCursorOrEmpty(plugins, project);
}

std::string ProjectJson(const plugin_host::PluginHost& plugins, const db::Project& project) {
  JsonWriter json;
  json.Begin();
  views::WriteProjectMembers(json, project, CursorOrNone(plugins, project));
  json.End();
  return json.Text();
}

std::string OptionalString(const rapidjson::Value& body, const char* name) {
  auto it = body.FindMember(name);
  if (it == body.MemberEnd()) return std::string();
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

// A refused create or update: malformed input (a bad project or branch
// name, a relative repository path) is a bad body (400); what the provider
// refuses (a repository it cannot open, a branch it lacks, a plugin that is
// not loaded) is unprocessable (422); a repository the provider may not
// open (outside local-git's allowed_roots) is forbidden (403). Each points
// at the field.
Problem RefusedChange(const Status& status, const projects::Refusal& refusal) {
  Problem problem = ProblemFromStatus(status);
  const std::string pointer =
      refusal.field == projects::ProjectField::kNone ? "" : std::string("/") + projects::ProjectFieldName(refusal.field);
  const bool bad_input = status.code() == StatusCode::kInvalidArgument || status.code() == StatusCode::kNotFound;
  if (bad_input && refusal.malformed) {
    problem.type = ProblemType::kInvalidBody;
    problem.pointer = pointer;
  } else if (bad_input && refusal.field != projects::ProjectField::kNone) {
    problem.type = ProblemType::kUnprocessable;
    problem.pointer = pointer;
  }
  return problem;
}

}  // namespace

HttpResponse Api::ListProjects(Call& call) {
  if (std::optional<Problem> bad = CheckQuery(call, {})) return Fail(*bad);
  db::ProjectStore projects(call.db);
  Result<std::vector<db::Project>> all = projects.List();
  if (!all.ok()) return Fail(all.status());
  JsonWriter json;
  json.Begin().BeginArray("projects");
  for (const db::Project& project : *all) {
    if (project.tenant_id != call.token.tenant_id) continue;
    json.writer().StartObject();
    views::WriteProjectMembers(json, project, CursorOrNone(*plugins_, project));
    json.writer().EndObject();
  }
  json.EndArray().End();
  return Json(200, json.Text());
}

HttpResponse Api::CreateProject(Call& call) {
  if (std::optional<Problem> bad = CheckQuery(call, {})) return Fail(*bad);
  rapidjson::Document body;
  if (std::optional<Problem> bad = ReadJsonBody(call.request, "ProjectCreate", false, &body)) return Fail(*bad);
  projects::AddProjectRequest request;
  request.name = OptionalString(body, "name");
  request.repo = OptionalString(body, "repo");
  request.provider = OptionalString(body, "provider");
  request.storage = OptionalString(body, "storage");
  request.branch = OptionalString(body, "branch");
  request.schedule = OptionalString(body, "schedule");
  request.tenant_id = call.token.tenant_id;
  // No working directory: a relative path means nothing to a client.
  request.working_directory.clear();
  projects::ProjectService service(call.db, plugins_, &config_->defaults);
  projects::Refusal refusal;
  Result<db::Project> added = service.Add(request, &refusal);
  if (!added.ok()) return Fail(RefusedChange(added.status(), refusal));
  HttpResponse response = Json(201, ProjectJson(*plugins_, *added));
  response.headers.emplace_back("Location", ProjectUrl(added->name));
  return response;
}

HttpResponse Api::GetProject(Call& call) {
  if (std::optional<Problem> bad = CheckQuery(call, {})) return Fail(*bad);
  Result<db::Project> project = LoadProject(call);
  if (!project.ok()) return Fail(project.status());
  return Json(200, ProjectJson(*plugins_, *project));
}

HttpResponse Api::UpdateProject(Call& call) {
  if (std::optional<Problem> bad = CheckQuery(call, {})) return Fail(*bad);
  Result<db::Project> project = LoadProject(call);
  if (!project.ok()) return Fail(project.status());
  rapidjson::Document body;
  if (std::optional<Problem> bad = ReadJsonBody(call.request, "ProjectUpdate", false, &body)) return Fail(*bad);
  projects::ProjectUpdate update;
  if (body.HasMember("branch")) update.branch = OptionalString(body, "branch");
  if (body.HasMember("sync_enabled")) update.sync_enabled = body["sync_enabled"].GetBool();
  if (body.HasMember("schedule")) {
    const std::string schedule = OptionalString(body, "schedule");
    update.schedule = schedule == "default" ? std::string() : schedule;  // "": the config's default
  }
  projects::ProjectService service(call.db, plugins_, &config_->defaults);
  projects::Refusal refusal;
  Status updated = service.Update(*project, update, &refusal);
  if (!updated.ok()) return Fail(RefusedChange(updated, refusal));
  Result<db::Project> now = LoadProject(call);
  if (!now.ok()) return Fail(now.status());
  return Json(200, ProjectJson(*plugins_, *now));
}

HttpResponse Api::DeleteProject(Call& call) {
  if (std::optional<Problem> bad = CheckQuery(call, {})) return Fail(*bad);
  Result<db::Project> project = LoadProject(call);
  if (!project.ok()) return Fail(project.status());
  projects::ProjectService service(call.db, plugins_, &config_->defaults);
  Status removed = service.Remove(*project, "api:" + call.token.name);
  if (!removed.ok()) return Fail(removed);
  HttpResponse response;
  response.status = 204;
  return response;
}

HttpResponse Api::ListBranches(Call& call) {
  if (std::optional<Problem> bad = CheckQuery(call, {})) return Fail(*bad);
  Result<db::Project> project = LoadProject(call);
  if (!project.ok()) return Fail(project.status());
  projects::ProjectService service(call.db, plugins_, &config_->defaults);
  Result<BranchList> branches = service.Branches(*project);
  if (!branches.ok()) return Fail(RefusedChange(branches.status(), projects::Refusal{projects::ProjectField::kRepo, false}));
  JsonWriter json;
  json.Begin().Str("selected", project->branch).StrOrNull("default", branches->default_branch).BeginArray("branches");
  for (const Branch& b : branches->branches) {
    json.writer().StartObject();
    json.Str("name", b.name).Str("head", b.head).Bool("default", b.name == branches->default_branch)
        .Bool("selected", b.name == project->branch);
    json.writer().EndObject();
  }
  json.EndArray().End();
  return Json(200, json.Text());
}

HttpResponse Api::StartSync(Call& call) {
  if (std::optional<Problem> bad = CheckQuery(call, {})) return Fail(*bad);
  Result<db::Project> project = LoadProject(call);
  if (!project.ok()) return Fail(project.status());
  rapidjson::Document body;
  if (std::optional<Problem> bad = ReadJsonBody(call.request, "SyncRequest", true, &body)) return Fail(*bad);
  // No place free here: any worker (this server's, or `tether worker`
  // elsewhere) takes the request from the database; requests go before
  // scheduled syncs.
  Result<int64_t> run_id = syncs_->StartOrRequest(call.db, project->tenant_id, project->name);
  if (!run_id.ok()) {
    Problem problem = ProblemFromStatus(run_id.status());
    // A disabled project cannot be synced: a conflict with its state.
    if (run_id.status().code() == StatusCode::kInvalidArgument) problem.type = ProblemType::kConflict;
    if (problem.type == ProblemType::kUnavailable) problem.retry_after_seconds = 5;
    return Fail(problem);
  }
  if (*run_id == 0) {
    JsonWriter json;
    json.Begin().Null("run_id").Bool("queued", true).Str("project", project->name)
        .Str("url", ProjectUrl(project->name)).End();
    HttpResponse response = Json(202, json.Text());
    response.headers.emplace_back("Location", ProjectUrl(project->name));
    return response;
  }
  const std::string url = ProjectUrl(project->name) + "/runs/" + std::to_string(*run_id);
  JsonWriter json;
  json.Begin().Int("run_id", *run_id).Bool("queued", false).Str("project", project->name).Str("url", url).End();
  HttpResponse response = Json(202, json.Text());
  response.headers.emplace_back("Location", url);
  return response;
}

}  // namespace tether::api

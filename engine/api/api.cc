// Api: routing, authentication and the helpers the handlers share. The
// handlers themselves are in api_projects.cc, api_runs.cc,
// api_documents.cc, api_analysis.cc and api_status.cc.
#include "engine/api/api.h"

#include <cerrno>
#include <cstdlib>

#include "engine/auth/tenant_session.h"
#include "engine/http/url.h"

namespace tether::api {
namespace {

constexpr char kBearer[] = "bearer ";

// "Bearer <token>" (the scheme in any case); nullopt otherwise.
std::optional<std::string> BearerToken(const HttpRequest& request) {
  const std::string* header = request.Header("authorization");
  if (header == nullptr || header->size() <= sizeof(kBearer) - 1) return std::nullopt;
  for (size_t i = 0; i < sizeof(kBearer) - 1; ++i) {
    char c = (*header)[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kBearer[i]) return std::nullopt;
  }
  std::string token = header->substr(sizeof(kBearer) - 1);
  while (!token.empty() && token.front() == ' ') token.erase(token.begin());
  while (!token.empty() && token.back() == ' ') token.pop_back();
  if (token.empty()) return std::nullopt;
  return token;
}

}  // namespace

Api::Api(const config::Config* config, const plugin_host::PluginHost* plugins, SyncWorkers* syncs,
         WorkerPool* workers, EventHub* events, Metrics* metrics)
    : config_(config),
      plugins_(plugins),
      syncs_(syncs),
      workers_(workers),
      events_(events),
      metrics_(metrics),
      router_(Routes()),
      semantic_cache_(static_cast<size_t>(config->server.search_cache_mb) << 20),
      started_(std::chrono::steady_clock::now()) {}

const std::vector<Api::Route>& Api::Table() {
  static const std::vector<Route> table = {
      {"GET", "/healthz", Access::kPublic, &Api::Health},
      {"GET", "/readyz", Access::kProbe, &Api::Ready},
      {"GET", "/api/v1/openapi.json", Access::kPublic, &Api::OpenApi},
      {"GET", "/api/v1/status", Access::kToken, &Api::GetStatus},
      {"GET", "/api/v1/projects", Access::kToken, &Api::ListProjects},
      {"POST", "/api/v1/projects", Access::kToken, &Api::CreateProject},
      {"GET", "/api/v1/projects/{name}", Access::kToken, &Api::GetProject},
      {"PATCH", "/api/v1/projects/{name}", Access::kToken, &Api::UpdateProject},
      {"DELETE", "/api/v1/projects/{name}", Access::kToken, &Api::DeleteProject},
      {"GET", "/api/v1/projects/{name}/branches", Access::kToken, &Api::ListBranches},
      {"POST", "/api/v1/projects/{name}/sync", Access::kToken, &Api::StartSync},
      {"GET", "/api/v1/projects/{name}/runs", Access::kToken, &Api::ListRuns},
      {"GET", "/api/v1/projects/{name}/runs/{id}", Access::kToken, &Api::GetRun},
      {"POST", "/api/v1/projects/{name}/runs/{id}/cancel", Access::kToken, &Api::CancelRun},
      {"GET", "/api/v1/projects/{name}/documents", Access::kToken, &Api::ListDocuments},
      {"GET", "/api/v1/projects/{name}/documents/{path...}", Access::kToken, &Api::GetDocument},
      {"GET", "/api/v1/projects/{name}/symbols", Access::kToken, &Api::SearchSymbols},
      {"GET", "/api/v1/projects/{name}/analysis/{path...}", Access::kToken, &Api::GetAnalysis},
      {"GET", "/api/v1/projects/{name}/docs", Access::kToken, &Api::GetDocs},
      {"GET", "/api/v1/projects/{name}/docs/{path...}", Access::kToken, &Api::GetDocs},
      {"GET", "/api/v1/search", Access::kToken, &Api::Search},
      {"POST", "/mcp", Access::kToken, &Api::Mcp},
      {"GET", "/api/v1/events", Access::kToken, &Api::StreamEvents},
      {"POST", "/api/v1/admin/verify", Access::kAdmin, &Api::AdminVerify},
      {"GET", "/api/v1/admin/verify", Access::kAdmin, &Api::LastVerifyReport},
      {"POST", "/api/v1/admin/backfill", Access::kAdmin, &Api::AdminBackfill},
      {"GET", "/api/v1/workers", Access::kAdmin, &Api::ListWorkers},
      {"GET", "/metrics", Access::kHealth, &Api::GetMetrics},
      {"POST", "/webhooks/github", Access::kWebhook, &Api::GithubWebhook},
      {"GET", "/", Access::kPublic, &Api::WebPage},
      {"GET", "/assets/{file}", Access::kPublic, &Api::WebFile},
  };
  return table;
}

std::vector<RouteSpec> Api::Routes() {
  std::vector<RouteSpec> routes;
  for (const Route& route : Table()) routes.push_back(RouteSpec{route.method, route.pattern});
  return routes;
}

void Api::Handle(HttpRequest request, Responder respond) {
  // The request moves into the task; the responder is shared by the task
  // and this function (which answers when the pool refuses the task).
  auto shared = std::make_shared<std::pair<HttpRequest, Responder>>(std::move(request), std::move(respond));
  const bool queued = workers_->TrySubmit([this, shared](WorkerContext& context) {
    HttpResponse response;
    std::string route = "unmatched";
    try {
      response = Serve(shared->first, context, &route);
    } catch (...) {
      response = Fail(db::StatusFromCurrentException("cannot answer the request"));
    }
    if (response.status >= 500) context.ResetDatabase();  // it may be the connection
    if (metrics_ != nullptr) metrics_->RecordHttp(route, response.status);
    if (route != "unmatched") response.route = route;
    shared->second(std::move(response));
  });
  if (!queued) {
    Problem busy;
    busy.type = ProblemType::kUnavailable;
    busy.detail = "the server is busy (or shutting down); try again shortly";
    busy.retry_after_seconds = 1;
    Router::Match match = router_.Find(shared->first.method, shared->first.path);
    const bool found = match.outcome == Router::Match::Outcome::kFound;
    if (metrics_ != nullptr) metrics_->RecordHttp(found ? router_.routes()[match.index].pattern : "unmatched", 503);
    HttpResponse response = ProblemResponse(busy);
    if (found) response.route = router_.routes()[match.index].pattern;
    shared->second(std::move(response));
  }
}

HttpResponse Api::Serve(const HttpRequest& request, WorkerContext& context, std::string* route_name) {
  Router::Match match = router_.Find(request.method, request.path);
  switch (match.outcome) {
    case Router::Match::Outcome::kNoSuchPath:
      return Fail(ProblemType::kNotFound, "no such path: " + request.path + " (see /api/v1/openapi.json)");
    case Router::Match::Outcome::kBadEncoding:
      return Fail(ProblemType::kMalformedRequest, "the path has a malformed %-escape");
    case Router::Match::Outcome::kWrongMethod: {
      HttpResponse response = Fail(ProblemType::kMethodNotAllowed,
                                   request.method + " is not allowed on " + request.path + "; allowed: " + match.allow);
      response.headers.emplace_back("Allow", match.allow);
      return response;
    }
    case Router::Match::Outcome::kFound: break;
  }
  const Route& route = Table()[match.index];
  *route_name = route.pattern;
  Call call(request);
  call.params = std::move(match.params);

  const bool needs_token = route.access == Access::kToken || route.access == Access::kAdmin ||
                           (route.access == Access::kHealth && !request.peer_is_loopback &&
                            !config_->server.allow_unauthenticated_health);
  if (needs_token || route.access != Access::kPublic) {
    Result<db::Database*> db = context.database();
    if (!db.ok()) return Fail(Status::Unavailable("cannot reach the database: " + db.status().message()));
    call.db = *db;
  }
  if (needs_token) {
    std::optional<std::string> secret = BearerToken(request);
    if (!secret) {
      return Fail(ProblemType::kUnauthenticated,
                  "send an API token as \"Authorization: Bearer <token>\" (create one with `tether token create`)");
    }
    auth::TokenStore tokens(call.db);
    Result<auth::ApiToken> token = tokens.Authenticate(*secret);
    if (!token.ok()) return Fail(token.status());
    call.token = std::move(token).value();
    if (route.access == Access::kAdmin && call.token.scope != auth::TokenScope::kAdmin) {
      return Fail(ProblemType::kForbidden, "token \"" + call.token.name + "\" may not call " + route.pattern +
                                               ": only admin tokens may (`tether token create --admin`)");
    }
    Status bound = auth::BindTenant(call.db, call.token.tenant_id);
    if (!bound.ok()) return Fail(bound);
  }
  Result<std::map<std::string, std::string>> query = http::ParseQuery(request.query);
  if (!query.ok()) return Fail(ProblemType::kInvalidParameter, query.status().message());
  call.query = std::move(query).value();
  return (this->*route.handler)(call);
}

Result<db::Project> Api::LoadProject(Call& call) {
  const std::string& name = call.params["name"];
  db::ProjectStore projects(call.db);
  return projects.Get(call.token.tenant_id, name);
}

std::optional<Problem> Api::CheckQuery(const Call& call, const std::vector<std::string>& allowed) {
  for (const auto& [name, value] : call.query) {
    bool known = false;
    for (const std::string& a : allowed) known = known || a == name;
    if (known) continue;
    Problem problem;
    problem.type = ProblemType::kInvalidParameter;
    problem.parameter = name;
    std::string list;
    for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
    problem.detail = "unknown query parameter \"" + name + "\"" +
                     (list.empty() ? std::string("; this path takes none") : "; allowed: " + list);
    return problem;
  }
  return std::nullopt;
}

std::optional<Problem> Api::IntParam(const Call& call, const std::string& name, int64_t min, int64_t max,
                                     int64_t* value) {
  auto it = call.query.find(name);
  if (it == call.query.end()) return std::nullopt;
  const std::string& text = it->second;
  char* end = nullptr;
  errno = 0;
  const long long parsed = text.empty() ? 0 : std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE || parsed < min || parsed > max) {
    Problem problem;
    problem.type = ProblemType::kInvalidParameter;
    problem.parameter = name;
    problem.detail = "query parameter \"" + name + "\" must be an integer from " + std::to_string(min) + " to " +
                     std::to_string(max);
    return problem;
  }
  *value = parsed;
  return std::nullopt;
}

HttpResponse Api::Json(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = std::move(body);
  response.body += "\n";
  return response;
}

HttpResponse Api::Fail(ProblemType type, std::string detail, std::string pointer) {
  Problem problem;
  problem.type = type;
  problem.detail = std::move(detail);
  problem.pointer = std::move(pointer);
  return ProblemResponse(problem);
}

}  // namespace tether::api

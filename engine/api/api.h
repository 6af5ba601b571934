// Api: the HTTP JSON API under /api/v1/ and /healthz, as a RequestHandler.
// Each request is routed, authenticated and answered on a worker of the API
// pool (with that worker's database connection), never on the event loop;
// when the pool's queue is full the answer is 503 at once.
//
// The route table (Routes) is the one list of what the server answers; the
// OpenAPI document lists the same paths (a test compares them).
//
// Auth: routes other than /healthz, /api/v1/openapi.json and the web page
// (/ and /assets/{file}, which asks its user for a token) need
// "Authorization: Bearer <token>" with a live API token; the token's tenant
// is the only one whose projects the request sees or changes. The routes
// under /api/v1/admin/ (verify, backfill: the whole database) need a token
// with the admin scope; a tenant token gets 403. /healthz
// answers loopback peers without a token (every peer when
// `allow_unauthenticated_health`).
//
// Ownership: borrows everything it is given; all must outlive the Api.
// Thread safety: Handle may be called from any thread, concurrently.
#ifndef TETHER_ENGINE_API_API_H_
#define TETHER_ENGINE_API_API_H_

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/auth/token_store.h"
#include "engine/config/config.h"
#include "engine/db/project_store.h"
#include "engine/event_stream/event_hub.h"
#include "engine/http/http_types.h"
#include "engine/http/problem.h"
#include "engine/http/router.h"
#include "engine/migrate/migrations.h"
#include "engine/plugin_host/plugin_host.h"
#include "engine/search/semantic_index.h"
#include "engine/workers/metrics.h"
#include "engine/workers/sync_workers.h"
#include "engine/workers/worker_pool.h"

namespace tether::api {

// What the handlers use of the transport, the event stream and the workers.
using event_stream::EventFilter;
using event_stream::EventHub;
using http::HttpRequest;
using http::HttpResponse;
using http::Problem;
using http::ProblemFromStatus;
using http::ProblemResponse;
using http::ProblemType;
using http::RequestHandler;
using http::Responder;
using http::Router;
using http::RouteSpec;
using workers::Metrics;
using workers::SyncWorkers;
using workers::WorkerContext;
using workers::WorkerPool;

class Api : public RequestHandler {
 public:
  // `events` (GET /api/v1/events) and `metrics` (GET /metrics, and the
  // count of every response) may be null: those routes then answer 503.
  Api(const config::Config* config, const plugin_host::PluginHost* plugins, SyncWorkers* syncs,
      WorkerPool* workers, EventHub* events = nullptr, Metrics* metrics = nullptr);

  void Handle(HttpRequest request, Responder respond) override;

  // What GET /readyz compares the database's applied migrations with (the
  // shipped ones, read once at start). Call before serving.
  void SetExpectedMigrations(std::vector<migrate::Migration> migrations) { migrations_ = std::move(migrations); }

  // The host the server listens on: a loopback one makes POST /mcp refuse
  // requests whose Host header names another (DNS rebinding). Call before
  // serving; without it Host headers are not checked.
  void SetListenHost(const std::string& host);

  // Every route, in matching order.
  static std::vector<RouteSpec> Routes();

 private:
  // One request being answered on a worker.
  struct Call {
    explicit Call(const HttpRequest& r) : request(r) {}
    const HttpRequest& request;
    db::Database* db = nullptr;
    auth::ApiToken token;  // the caller's token (empty for public routes)
    std::map<std::string, std::string> params;
    std::map<std::string, std::string> query;
  };
  using Handler = HttpResponse (Api::*)(Call&);
  // kPublic: no token, no database. kProbe: no token from any peer (a
  // Kubernetes probe comes from the pod network), with the database.
  // kHealth: no token from loopback peers (or any, with
  // allow_unauthenticated_health). kWebhook: no token; the handler checks
  // the sender's signature itself. kAdmin: a token with the admin scope
  // (403 for a tenant token).
  enum class Access { kToken, kPublic, kProbe, kHealth, kWebhook, kAdmin };
  struct Route {
    const char* method;
    const char* pattern;
    Access access;
    Handler handler;
  };
  static const std::vector<Route>& Table();

  // `route` is set to the matched route's template ("unmatched" when none).
  HttpResponse Serve(const HttpRequest& request, WorkerContext& context, std::string* route);

  // Handlers (api_*.cc).
  HttpResponse Health(Call& call);
  HttpResponse Ready(Call& call);
  HttpResponse OpenApi(Call& call);
  HttpResponse GetStatus(Call& call);
  HttpResponse ListProjects(Call& call);
  HttpResponse CreateProject(Call& call);
  HttpResponse GetProject(Call& call);
  HttpResponse UpdateProject(Call& call);
  HttpResponse DeleteProject(Call& call);
  HttpResponse ListBranches(Call& call);
  HttpResponse StartSync(Call& call);
  HttpResponse ListRuns(Call& call);
  HttpResponse GetRun(Call& call);
  HttpResponse CancelRun(Call& call);
  HttpResponse ListDocuments(Call& call);
  HttpResponse GetDocument(Call& call);
  HttpResponse SearchSymbols(Call& call);
  HttpResponse GetAnalysis(Call& call);
  HttpResponse GetDocs(Call& call);
  HttpResponse Search(Call& call);  // api_search.cc
  HttpResponse Mcp(Call& call);     // api_mcp.cc
  HttpResponse StreamEvents(Call& call);  // api_events.cc
  HttpResponse GetMetrics(Call& call);    // api_events.cc
  HttpResponse GithubWebhook(Call& call);
  HttpResponse AdminVerify(Call& call);       // api_admin.cc
  HttpResponse LastVerifyReport(Call& call);  // api_admin.cc
  HttpResponse ListWorkers(Call& call);       // api_admin.cc
  HttpResponse AdminBackfill(Call& call);     // api_admin.cc
  HttpResponse WebPage(Call& call);  // api_web.cc
  HttpResponse WebFile(Call& call);  // api_web.cc

  // Helpers shared by the handlers.
  // The project `call.params["name"]` of the caller's tenant; NotFound for
  // another tenant's project, as for a missing one.
  Result<db::Project> LoadProject(Call& call);
  // The caller's project, its storage and the key of the analyzer `name`
  // (api_analysis.cc).
  struct AnalysisSource {
    Storage* storage = nullptr;  // borrowed
    std::string storage_name;
    ProjectRef project;
    std::string project_name;
    AnalyzerKey key;
  };
  Result<AnalysisSource> FindAnalysisSource(Call& call, const std::string& name);
  // Refuses query parameters other than `allowed`.
  static std::optional<Problem> CheckQuery(const Call& call, const std::vector<std::string>& allowed);
  // The integer query parameter `name` in [min, max], `fallback` when absent.
  static std::optional<Problem> IntParam(const Call& call, const std::string& name, int64_t min, int64_t max,
                                         int64_t* value);
  // The text query parameter `name` into `*value` when present: UTF-8
  // without NUL, at most `max` bytes.
  static std::optional<Problem> TextParam(const Call& call, const std::string& name, size_t max, std::string* value);
  // A connection of its own for the admin routes: the server's database
  // URL, bound to no token's tenant.
  Result<std::unique_ptr<db::Database>> AdminDatabase();
  static HttpResponse Json(int status, std::string body);
  static HttpResponse Fail(const Problem& problem) { return ProblemResponse(problem); }
  static HttpResponse Fail(const Status& status) { return ProblemResponse(ProblemFromStatus(status)); }
  static HttpResponse Fail(ProblemType type, std::string detail, std::string pointer = "");

  // The migrations this server was built with, for /readyz; empty: not
  // checked.
  std::vector<migrate::Migration> migrations_;
  bool mcp_loopback_only_ = false;  // SetListenHost
  const config::Config* config_;
  const plugin_host::PluginHost* plugins_;
  SyncWorkers* syncs_;
  WorkerPool* workers_;
  EventHub* events_;
  Metrics* metrics_;
  Router router_;
  // GET /api/v1/search's vectors in memory, within server.search_cache_mb.
  search::SemanticIndexCache semantic_cache_;
  const std::chrono::steady_clock::time_point started_;
};

}  // namespace tether::api

#endif  // TETHER_ENGINE_API_API_H_

// Api: the event stream (GET /api/v1/events, Server-Sent Events) and the
// metrics (GET /metrics).
#include <algorithm>
#include <cerrno>
#include <optional>
#include <utility>
#include <cstdlib>

#include "engine/api/api.h"
#include "engine/db/project_store.h"
#include "engine/db/worker_store.h"
#include "engine/workers/scheduler.h"
#include "shared/clock.h"

namespace tether::api {
namespace {

// A non-negative event id; nullopt when `text` is not one.
std::optional<int64_t> ParseEventId(const std::string& text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  errno = 0;
  const long long value = std::strtoll(text.c_str(), nullptr, 10);
  if (errno == ERANGE) return std::nullopt;
  return static_cast<int64_t>(value);
}

}  // namespace

HttpResponse Api::StreamEvents(Call& call) {
  if (std::optional<Problem> problem = CheckQuery(call, {"project", "last_event_id"})) return Fail(*problem);
  if (events_ == nullptr) return Fail(Status::Unavailable("this server does not stream events"));
  EventFilter filter;
  filter.tenant_id = call.token.tenant_id;
  auto project = call.query.find("project");
  if (project != call.query.end()) {
    call.params["name"] = project->second;
    Result<db::Project> loaded = LoadProject(call);  // NotFound for another tenant's project too
    if (!loaded.ok()) return Fail(loaded.status());
    filter.project_id = loaded->id;
  }
  // The header (what EventSource sends when it reconnects) wins over the
  // query parameter (for clients that cannot set headers), which may still
  // be in the URL the browser reconnects to.
  std::optional<int64_t> last_event_id;
  if (const std::string* header = call.request.Header("last-event-id")) {
    last_event_id = ParseEventId(*header);
    if (!last_event_id) {
      Problem problem;
      problem.type = ProblemType::kMalformedRequest;
      problem.detail = "the Last-Event-ID header must be an event id (a non-negative integer)";
      return Fail(problem);
    }
  } else if (call.query.count("last_event_id") > 0) {
    int64_t value = 0;
    if (std::optional<Problem> problem = IntParam(call, "last_event_id", 0, INT64_MAX, &value)) return Fail(*problem);
    last_event_id = value;
  }
  HttpResponse response;
  response.status = 200;
  response.content_type = "text/event-stream";
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.headers.emplace_back("X-Accel-Buffering", "no");  // proxies: do not hold events back
  response.stream = events_->Open(std::move(filter), last_event_id);
  response.stream_queue = events_->client_queue();
  return response;
}

HttpResponse Api::GetMetrics(Call& call) {
  if (std::optional<Problem> problem = CheckQuery(call, {})) return Fail(*problem);
  if (metrics_ == nullptr) return Fail(Status::Unavailable("this server does not keep metrics"));
  HttpResponse response;
  response.status = 200;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  std::string queue;  // left out when the database cannot say
  if (call.db != nullptr) {
    // The queue as it is now, whichever process runs the syncs (a server
    // with --workers 0 runs no scheduler of its own to look).
    db::ProjectStore projects(call.db);
    db::WorkFilter filter = workers::WorkFilterFrom(*config_);
    filter.now = NowUnixSeconds();
    Result<std::pair<int64_t, std::optional<int64_t>>> due = projects.CountDue(filter.now, filter.default_scheduled);
    Result<int64_t> waiting = projects.CountWaiting(filter);
    if (due.ok() && waiting.ok()) {
      const int64_t lag = due->second ? std::max<int64_t>(0, filter.now - *due->second) : 0;
      queue = workers::Metrics::RenderQueue(due->first, lag, *waiting);
    }
  }
  response.body = metrics_->Render(events_ != nullptr ? events_->clients() : 0) + queue;
  response.body +=
      "# HELP tether_semantic_index_builds_total Projects' vectors read from the database into semantic search's "
      "memory (once, then after each change)\n"
      "# TYPE tether_semantic_index_builds_total counter\n"
      "tether_semantic_index_builds_total " + std::to_string(semantic_cache_.builds()) + "\n"
      "# HELP tether_semantic_index_bytes Memory semantic search's vectors hold (server.search_cache_mb bounds it)\n"
      "# TYPE tether_semantic_index_bytes gauge\n"
      "tether_semantic_index_bytes " + std::to_string(semantic_cache_.bytes()) + "\n";
  // Every worker on this database, not only this server's syncs: what each
  // counted at its last heartbeat. Left out when the database cannot say.
  if (call.db != nullptr) {
    Result<std::vector<db::WorkerInfo>> workers =
        db::WorkerStore(call.db).ListLive(2 * config_->workers.lease_timeout_seconds);
    if (workers.ok()) response.body += workers::Metrics::RenderWorkers(*workers);
  }
  return response;
}

}  // namespace tether::api

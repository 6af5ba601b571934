// tether worker: runs requested and due syncs until SIGTERM or SIGINT
// (engine/server/worker_service.h); tether workers: the live ones.
#include <cstdio>
#include <optional>

#include "engine/cli/cli.h"
#include "engine/cli/display.h"
#include "engine/cli/table.h"
#include "engine/common/json_writer.h"
#include "engine/db/worker_store.h"
#include "engine/log/log.h"
#include "engine/server/worker_service.h"
#include "engine/sync/lease_owner.h"
#include "engine/views/json_views.h"
#include "shared/clock.h"

namespace tether::cli {
namespace {

// What --host-id may be: what workers.host_id's schema allows.
bool ValidHostId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

int RunWorker(const Invocation& inv, const WorkerOptions& options) {
  if (!options.host_id.empty() && !ValidHostId(options.host_id)) {
    return ReportError(inv, Status::InvalidArgument("--host-id \"" + Shown(options.host_id) +
                                                    "\": 1 to 64 letters, digits, '.', '_' or '-'"));
  }
  Result<std::unique_ptr<app::Runtime>> runtime = LoadRuntime(inv);
  if (!runtime.ok()) return ReportError(inv, runtime.status());
  if (!options.host_id.empty()) sync::SetHostIdentity(options.host_id);  // wins over workers.host_id
  std::optional<logging::LogFormat> flag = logging::ParseLogFormat(inv.log_format);
  logging::SetLogFormat(flag ? *flag : (*runtime)->config().server.log_format);
  server::WorkerServiceOptions service;
  if (options.concurrency > 0) service.concurrency = options.concurrency;
  // Scripts and tests read the worker's id from stdout.
  service.on_started = [](const std::string& id) {
    std::printf("worker %s started\n", id.c_str());
    std::fflush(stdout);
  };
  Status ran = server::RunWorkerService(runtime->get(), service);
  if (ran.ok()) return kExitOk;
  logging::LogError(ran.message(), {{"code", StatusCodeName(ran.code())}});
  return ExitCodeFor(ran);
}

int RunWorkers(const Invocation& inv) {
  Result<std::unique_ptr<app::Runtime>> runtime = LoadRuntime(inv);
  if (!runtime.ok()) return ReportError(inv, runtime.status());
  Result<db::Database*> db = (*runtime)->database();
  if (!db.ok()) return ReportError(inv, db.status());
  // Live: beat within two lease timeouts (a beat comes every third of one).
  Result<std::vector<db::WorkerInfo>> workers =
      db::WorkerStore(*db).ListLive(2 * (*runtime)->config().workers.lease_timeout_seconds);
  if (!workers.ok()) return ReportError(inv, workers.status());
  if (inv.json) {
    JsonWriter out;
    out.Begin().BeginArray("workers");
    for (const db::WorkerInfo& w : *workers) views::WriteWorker(out, w);
    PrintJson(out.EndArray().End());
    return kExitOk;
  }
  if (workers->empty()) {
    std::printf("no live workers: start one with `tether worker` (or `tether serve`, which runs syncs too)\n");
    return kExitOk;
  }
  const int64_t now = NowUnixSeconds();
  Table table({"WORKER", "KIND", "VERSION", "SYNCS", "STARTED", "LAST BEAT", "RUNNING"});
  for (const db::WorkerInfo& w : *workers) {
    std::string running;
    for (const std::string& project : w.projects) running += (running.empty() ? "" : ", ") + Shown(project);
    table.AddRow({Shown(w.id), w.kind, Shown(w.version), std::to_string(w.concurrency),
                  Iso8601FromUnixSeconds(w.started_at), std::to_string(now - w.heartbeat_at) + " s ago",
                  running.empty() ? "-" : running});
  }
  table.Print();
  return kExitOk;
}

}  // namespace tether::cli

// tether serve: the HTTP API (engine/server) until SIGINT or SIGTERM.
#include <cstdio>
#include <optional>

#include "engine/cli/cli.h"
#include "engine/log/log.h"
#include "engine/server/service.h"

namespace tether::cli {

int RunServe(const Invocation& inv, const ServeOptions& options) {
  Result<std::unique_ptr<app::Runtime>> runtime = LoadRuntime(inv);
  if (!runtime.ok()) return ReportError(inv, runtime.status());
  // --log-format wins over the config's server.log_format.
  std::optional<logging::LogFormat> flag = logging::ParseLogFormat(inv.log_format);
  logging::SetLogFormat(flag ? *flag : (*runtime)->config().server.log_format);
  server::ServiceOptions service;
  service.listen = options.listen;
  if (options.workers >= 0) service.sync_workers = options.workers;
  // Scripts and tests read the bound address (port 0 picks one) from stdout.
  service.on_listening = [](const std::string& address) {
    std::printf("listening on %s\n", address.c_str());
    std::fflush(stdout);
  };
  Status served = server::RunService(runtime->get(), service);
  if (served.ok()) return kExitOk;
  if (inv.json) return ReportError(inv, served);
  // What stopped the start is a log line like the others (one JSON object
  // with --log-format json), so that a log shipper reads it too.
  logging::LogError(served.message(), {{"code", StatusCodeName(served.code())}});
  return ExitCodeFor(served);
}

}  // namespace tether::cli

// tether serve: the HTTP API (engine/server) until SIGINT or SIGTERM.
#include <cstdio>

#include "engine/cli/cli.h"
#include "engine/cli/display.h"
#include "engine/server/service.h"

namespace tether::cli {

int RunServe(const Invocation& inv, const ServeOptions& options) {
  Result<std::unique_ptr<app::Runtime>> runtime = LoadRuntime(inv);
  if (!runtime.ok()) return ReportError(inv, runtime.status());
  server::ServiceOptions service;
  service.listen = options.listen;
  // Scripts and tests read the bound address (port 0 picks one) from stdout.
  service.on_listening = [](const std::string& address) {
    std::printf("listening on %s\n", address.c_str());
    std::fflush(stdout);
  };
  service.log = [](const std::string& line) {
    std::fprintf(stderr, "tether serve: %s\n", ShownMessage(line).c_str());
  };
  Status served = server::RunService(runtime->get(), service);
  if (!served.ok()) return ReportError(inv, served);
  return kExitOk;
}

}  // namespace tether::cli

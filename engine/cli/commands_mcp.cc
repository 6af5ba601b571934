// tether mcp: the Model Context Protocol server on stdin/stdout, for an agent
// that starts it (engine/mcp: the protocol and the tools, the same as POST
// /mcp of `tether serve`). Serves the tenant --tenant names, else the
// connection's ("default" on SQLite).
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "engine/cli/cli.h"
#include "engine/log/log.h"
#include "engine/mcp/stdio.h"

namespace tether::cli {

int RunMcp(const Invocation& inv) {
  // stdout is the protocol's alone: what anything else prints there (a
  // plugin, a library) goes to stderr instead.
  std::fflush(stdout);
  // A client that goes away ends the conversation with a write error, not
  // with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  const int protocol_fd = dup(STDOUT_FILENO);
  std::FILE* protocol = protocol_fd < 0 ? nullptr : fdopen(protocol_fd, "w");
  if (protocol == nullptr || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    return ReportError(inv, Status::Unavailable("cannot set up stdout for the protocol"));
  }
  Result<std::unique_ptr<app::Runtime>> runtime = LoadRuntime(inv);
  if (!runtime.ok()) return ReportError(inv, runtime.status());
  Result<db::Database*> db = (*runtime)->database();
  if (!db.ok()) return ReportError(inv, db.status());
  Result<std::string> tenant = TenantOf(inv, *db);
  if (!tenant.ok()) return ReportError(inv, tenant.status());
  logging::LogInfo("serving MCP on stdin/stdout for tenant " + *tenant, {{"tenant", *tenant}});
  mcp::ToolContext context;
  context.plugins = &(*runtime)->plugins();
  context.db = *db;
  context.tenant = *tenant;
  mcp::Session session(TETHER_VERSION);
  Status served = mcp::ServeStdio(stdin, protocol, &session, context);
  std::fclose(protocol);
  if (!served.ok()) return ReportError(inv, served);
  return kExitOk;
}

}  // namespace tether::cli

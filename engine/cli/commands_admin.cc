// tether init, plugins list|check, migrate status|apply, status.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "engine/ops/doctor.h"
#include "engine/ops/integrity.h"
#include "engine/auth/tenant_session.h"
#include "engine/cli/cli.h"
#include "engine/cli/display.h"
#include "engine/cli/table.h"
#include "engine/common/human_units.h"
#include "engine/common/json_writer.h"
#include "engine/migrate/migrations.h"
#include "engine/db/project_store.h"
#include "engine/sync/run_states.h"
#include "engine/sync/stored_cursor.h"
#include "shared/clock.h"
#include "tether/plugin.h"

namespace tether::cli {

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
      return kExitUsage;
    case StatusCode::kConflict:
      return kExitBusy;
    default:
      return kExitFailed;
  }
}

int ReportError(const Invocation& inv, const Status& status) { return ReportError(inv, status, ExitCodeFor(status)); }

int ReportError(const Invocation& inv, const Status& status, int exit_code) {
  std::fprintf(stderr, "tether: error: %s\n", ShownMessage(status.message()).c_str());
  if (inv.json) {
    JsonWriter out;
    out.Begin().BeginObject("error").Str("code", StatusCodeName(status.code())).Str("message", status.message());
    if (status.code() == StatusCode::kRateLimited) out.Int("retry_after_seconds", status.retry_after_seconds());
    PrintJson(out.End().Int("exit_code", exit_code).End());
  }
  return exit_code;
}

void PrintJson(const JsonWriter& json) { std::printf("%s\n", json.Text().c_str()); }

Result<std::unique_ptr<app::Runtime>> LoadRuntime(const Invocation& inv) {
  std::filesystem::path path = config::ResolveConfigPath(inv.config_flag);
  Result<std::unique_ptr<app::Runtime>> runtime = app::Runtime::Load(path);
  if (!runtime.ok() && runtime.status().code() == StatusCode::kNotFound) {
    return Status::NotFound(runtime.status().message() +
                            " (set --config or TETHER_CONFIG, or create one with `tether init`)");
  }
  return runtime;
}

Result<std::string> TenantOf(const Invocation& inv, db::Database* db) {
  if (inv.tenant.empty()) return db::ConnectionTenant(db);
  // Bound too, so that on PostgreSQL row-level security agrees.
  TETHER_RETURN_IF_ERROR(auth::BindTenant(db, inv.tenant).WithContext("--tenant"));
  return inv.tenant;
}

int RunInit(const Invocation& inv, const InitOptions& options) {
  std::filesystem::path path =
      std::filesystem::absolute(config::ResolveConfigPath(inv.config_flag)).lexically_normal();
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !options.force) {
    return ReportError(inv, Status::InvalidArgument("config " + path.string() +
                                               " already exists; use --force to overwrite it"));
  }
  std::string url = options.database_url.empty() ? "sqlite:tether.db" : options.database_url;
  std::string text = config::StarterConfig(url);
  std::filesystem::create_directories(path.parent_path(), ec);
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.good()) return ReportError(inv, Status::Unavailable("cannot write " + path.string()));
  }
  Result<std::unique_ptr<app::Runtime>> runtime = app::Runtime::Load(path);
  if (!runtime.ok()) return ReportError(inv, runtime.status());
  (*runtime)->AllowCreatingDatabase();
  Result<std::unique_ptr<migrate::Migrator>> migrator = (*runtime)->NewMigrator();
  if (!migrator.ok()) return ReportError(inv, migrator.status());
  Result<std::vector<std::string>> applied = (*migrator)->Apply();
  if (!applied.ok()) return ReportError(inv, applied.status());
  if (inv.json) {
    JsonWriter out;
    out.Begin().Str("config", path.string()).Str("database", db::RedactUrl((*runtime)->config().database_url));
    out.BeginArray("migrations_applied");
    for (const std::string& name : *applied) out.writer().String(name.c_str());
    PrintJson(out.EndArray().End());
  } else {
    std::printf("wrote %s\n", path.string().c_str());
    std::printf("database %s: %zu migration(s) applied\n",
                db::RedactUrl((*runtime)->config().database_url).c_str(), applied->size());
    std::printf("next: tether --config %s project add NAME --repo PATH\n", path.string().c_str());
  }
  return kExitOk;
}

int RunPluginsList(const Invocation& inv, bool check) {
  Result<std::unique_ptr<app::Runtime>> runtime = LoadRuntime(inv);
  if (!runtime.ok()) return ReportError(inv, runtime.status());
  const plugin_host::PluginHost& host = (*runtime)->plugins();
  if (inv.json) {
    JsonWriter out;
    out.Begin().Str("host_abi", plugin_host::PluginHost::HostAbi()).BeginArray("plugins");
    for (const plugin_host::PluginRecord& p : host.plugins()) {
      out.writer().StartObject();
      out.Str("name", p.name).Str("kind", p.kind).Str("version", p.version).Str("abi", p.abi)
          .Str("toolchain", p.toolchain).Str("file", p.file.string())
          .Str("state", plugin_host::PluginStateName(p.state)).StrOrNull("error", p.error)
          .Str("description", p.description);
      out.writer().EndObject();
    }
    PrintJson(out.EndArray().End());
  } else {
    std::printf("%-16s %-9s %-8s %-5s %-7s %s\n", "NAME", "KIND", "VERSION", "ABI", "STATE", "FILE");
    for (const plugin_host::PluginRecord& p : host.plugins()) {
      std::printf("%-16s %-9s %-8s %-5s %-7s %s\n", p.name.c_str(), p.kind.empty() ? "-" : p.kind.c_str(),
                  p.version.empty() ? "-" : p.version.c_str(), p.abi.empty() ? "-" : p.abi.c_str(),
                  plugin_host::PluginStateName(p.state), p.file.string().c_str());
      if (p.state == plugin_host::PluginState::kBroken) {
        std::printf("  broken: %s\n", ShownMessage(p.error).c_str());
      }
    }
    std::printf("host ABI %s\n", plugin_host::PluginHost::HostAbi().c_str());
  }
  if (check && host.AnyBroken()) {
    if (!inv.json) std::fprintf(stderr, "tether: error: at least one plugin is broken\n");
    return kExitFailed;  // with --json, the listing above says which
  }
  return kExitOk;
}

int RunStatus(const Invocation& inv) {
  Result<std::unique_ptr<app::Runtime>> runtime = LoadRuntime(inv);
  if (!runtime.ok()) return ReportError(inv, runtime.status());
  Result<db::Database*> db = (*runtime)->database();
  if (!db.ok()) return ReportError(inv, db.status());
  db::ProjectStore store(*db);
  Result<std::vector<db::Project>> projects = store.List();
  if (!projects.ok()) return ReportError(inv, projects.status());
  // The last synced commit of each project, as its storage holds it ("" when
  // it never synced or the storage cannot say).
  std::vector<std::string> cursors;
  for (const db::Project& p : *projects) {
    cursors.push_back(sync::StoredCursorOrEmpty((*runtime)->plugins(), p));
  }
  // A health check: 1 when an enabled project's last sync failed (or its
  // branch is gone).
  bool failing = false;
  for (const db::Project& p : *projects) {
    if (p.sync_enabled && (p.status == sync::ToString(sync::ProjectStatus::kFailed) ||
                           p.status == sync::ToString(sync::ProjectStatus::kBranchMissing))) {
      failing = true;
    }
  }
  const int code = failing ? kExitFailed : kExitOk;
  if (inv.json) {
    JsonWriter out;
    out.Begin().BeginArray("projects");
    for (size_t i = 0; i < projects->size(); ++i) {
      const db::Project& p = (*projects)[i];
      out.writer().StartObject();
      out.Str("name", p.name).Str("branch", p.branch).Bool("sync_enabled", p.sync_enabled)
          .Str("status", p.status).StrOrNull("last_synced_commit", cursors[i])
          .StrOrNull("last_synced_at", p.last_synced_at).StrOrNull("last_error", p.last_error);
      out.writer().EndObject();
    }
    PrintJson(out.EndArray().Bool("healthy", !failing).End());
    return code;
  }
  if (projects->empty()) {
    std::printf("no projects yet: add one with `tether project add NAME --repo PATH`\n");
    return kExitOk;
  }
  const int64_t now = NowUnixSeconds();
  Table table({"PROJECT", "BRANCH", "ENABLED", "STATUS", "COMMIT", "LAST SYNCED"});
  std::vector<std::string> errors;
  for (size_t i = 0; i < projects->size(); ++i) {
    const db::Project& p = (*projects)[i];
    table.AddRow({Shown(p.name), Shown(p.branch), p.sync_enabled ? "yes" : "no", p.status,
                  cursors[i].empty() ? "-" : cursors[i].substr(0, 12),
                  p.last_synced_at.empty() ? "-" : HumanAgo(p.last_synced_at, now)});
    if (!p.last_error.empty()) errors.push_back(Shown(p.name) + ": " + ShownMessage(p.last_error));
  }
  table.Print();
  if (!errors.empty()) std::printf("\nlast errors:\n");
  for (const std::string& line : errors) std::printf("  %s\n", line.c_str());
  return code;
}

int RunVerify(const Invocation& inv, bool deep) {
  Result<std::unique_ptr<app::Runtime>> runtime = LoadRuntime(inv);
  if (!runtime.ok()) return ReportError(inv, runtime.status());
  Result<ops::IntegrityReport> report = ops::CheckIntegrity(runtime->get(), deep);
  if (!report.ok()) return ReportError(inv, report.status());
  // Kept for the web page and GET /api/v1/admin/verify; a database that
  // cannot take it (read-only) still gets its report printed.
  Status recorded = ops::RecordIntegrityReport(*(*runtime)->database(), *report, "cli");
  if (!recorded.ok()) {
    std::fprintf(stderr, "tether: warning: the report was not recorded: %s\n", ShownMessage(recorded.message()).c_str());
  }
  if (inv.json) {
    JsonWriter out;
    out.Begin().Str("checked_at", report->checked_at).Bool("deep", report->deep).Bool("ok", report->problems.empty());
    out.StrOrNull("evidence_of", report->evidence_of);
    out.BeginObject("table_rows");
    for (const auto& [table, rows] : report->table_rows) out.Int(table.c_str(), rows);
    out.End().BeginArray("problems");
    for (const std::string& p : report->problems) out.writer().String(p.c_str());
    out.EndArray().BeginArray("notes");
    for (const std::string& n : report->notes) out.writer().String(n.c_str());
    PrintJson(out.EndArray().End());
  } else {
    for (const auto& [table, rows] : report->table_rows) {
      std::printf("%-20s %lld rows\n", table.c_str(), static_cast<long long>(rows));
    }
    for (const std::string& n : report->notes) std::printf("note: %s\n", ShownMessage(n).c_str());
    for (const std::string& p : report->problems) std::printf("PROBLEM: %s\n", ShownMessage(p).c_str());
    if (report->problems.empty()) std::printf("ok: no problems found\n");
  }
  return report->problems.empty() ? kExitOk : kExitFailed;
}

int RunBackfill(const Invocation& inv) {
  Result<std::unique_ptr<app::Runtime>> runtime = LoadRuntime(inv);
  if (!runtime.ok()) return ReportError(inv, runtime.status());
  Result<std::vector<std::string>> changes = ops::Backfill(runtime->get());
  if (!changes.ok()) return ReportError(inv, changes.status());
  if (inv.json) {
    JsonWriter out;
    out.Begin().BeginArray("changes");
    for (const std::string& c : *changes) out.writer().String(c.c_str());
    PrintJson(out.EndArray().End());
  } else if (changes->empty()) {
    std::printf("nothing to backfill\n");
  } else {
    for (const std::string& c : *changes) std::printf("%s\n", c.c_str());
  }
  return kExitOk;
}

int RunVersion(const Invocation& inv, const std::string& version) {
  const std::string abi = std::to_string(TETHER_SDK_ABI_MAJOR) + "." + std::to_string(TETHER_SDK_ABI_MINOR);
  if (inv.json) {
    JsonWriter out;
    PrintJson(out.Begin().Str("version", version).Str("sdk_abi", abi).End());
  } else {
    std::printf("tether %s (plugin SDK ABI %s)\n", version.c_str(), abi.c_str());
  }
  return kExitOk;
}

int RunDoctor(const Invocation& inv) {
  Result<std::unique_ptr<app::Runtime>> runtime = LoadRuntime(inv);
  if (!runtime.ok()) return ReportError(inv, runtime.status());  // the config, with where
  const std::vector<ops::DoctorCheck> checks = ops::Diagnose(runtime->get());
  size_t problems = 0;
  for (const ops::DoctorCheck& check : checks) problems += check.ok ? 0 : 1;
  if (inv.json) {
    JsonWriter out;
    out.Begin().Str("config", config::ResolveConfigPath(inv.config_flag).string()).BeginArray("checks");
    for (const ops::DoctorCheck& check : checks) {
      out.writer().StartObject();
      out.Str("subject", check.subject).Bool("ok", check.ok).Str("detail", check.detail).StrOrNull("fix", check.fix);
      out.writer().EndObject();
    }
    PrintJson(out.EndArray().Int("problems", static_cast<int64_t>(problems)).End());
    return problems == 0 ? kExitOk : kExitFailed;
  }
  std::error_code ec;
  const std::filesystem::path config_path = std::filesystem::absolute(config::ResolveConfigPath(inv.config_flag), ec);
  std::printf("ok    config: %s\n", Shown(config_path.string()).c_str());
  for (const ops::DoctorCheck& check : checks) {
    std::printf("%s  %s: %s\n", check.ok ? "ok  " : "FAIL", Shown(check.subject).c_str(),
                ShownMessage(check.detail).c_str());
    if (!check.ok) std::printf("      fix: %s\n", ShownMessage(check.fix).c_str());
  }
  if (problems == 0) std::printf("\neverything a sync needs is in place\n");
  else std::printf("\n%zu problem%s to fix\n", problems, problems == 1 ? "" : "s");
  return problems == 0 ? kExitOk : kExitFailed;
}

}  // namespace tether::cli

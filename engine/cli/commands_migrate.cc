// tether migrate status|plan|apply|verify.
#include <cstdio>
#include <vector>

#include "engine/cli/cli.h"
#include "engine/cli/display.h"
#include "engine/common/json_writer.h"
#include "engine/db/run_store.h"

namespace tether::cli {
namespace {

Result<std::unique_ptr<app::Runtime>> LoadForMigrations(const Invocation& inv) { return LoadRuntime(inv); }

Result<std::unique_ptr<migrate::Migrator>> MigratorFor(app::Runtime* runtime, const MigrateOptions& options) {
  std::vector<std::filesystem::path> roots(options.dirs.begin(), options.dirs.end());
  return runtime->NewMigrator(roots);
}

std::string StateName(const migrate::MigrationState& s) {
  if (s.changed) return "changed";
  if (s.applied && s.migration.file.empty()) return "missing_file";
  return s.applied ? "applied" : "pending";
}

// The first line of a statement, shortened, for plans.
std::string Summary(const std::string& statement) {
  std::string line = statement.substr(0, statement.find('\n'));
  if (line.size() > 100) line = line.substr(0, 97) + "...";
  return line;
}

}  // namespace

int RunMigrateStatus(const Invocation& inv, const MigrateOptions& options) {
  Result<std::unique_ptr<app::Runtime>> runtime = LoadForMigrations(inv);
  if (!runtime.ok()) return ReportError(inv, runtime.status());
  Result<std::unique_ptr<migrate::Migrator>> migrator = MigratorFor(runtime->get(), options);
  if (!migrator.ok()) return ReportError(inv, migrator.status());
  Result<std::vector<migrate::MigrationState>> states = (*migrator)->Status();
  if (!states.ok()) return ReportError(inv, states.status());
  bool problem = false;
  for (const migrate::MigrationState& s : *states) {
    if (s.changed || (s.applied && s.migration.file.empty())) problem = true;
  }
  if (inv.json) {
    JsonWriter out;
    out.Begin().BeginArray("migrations");
    for (const migrate::MigrationState& s : *states) {
      out.writer().StartObject();
      out.Str("version", s.migration.version).Str("name", s.migration.name).Str("state", StateName(s))
          .StrOrNull("applied_at", s.applied_at).StrOrNull("checksum", s.migration.checksum);
      out.writer().EndObject();
    }
    PrintJson(out.EndArray().End());
    return problem ? kExitFailed : kExitOk;
  }
  std::printf("%-8s %-40s %-12s %s\n", "VERSION", "NAME", "STATE", "APPLIED AT");
  for (const migrate::MigrationState& s : *states) {
    std::printf("%-8s %-40s %-12s %s\n", s.migration.version.c_str(), s.migration.name.c_str(),
                StateName(s).c_str(), s.applied_at.c_str());
  }
  return problem ? kExitFailed : kExitOk;
}

int RunMigratePlan(const Invocation& inv, const MigrateOptions& options) {
  Result<std::unique_ptr<app::Runtime>> runtime = LoadForMigrations(inv);
  if (!runtime.ok()) return ReportError(inv, runtime.status());
  Result<std::unique_ptr<migrate::Migrator>> migrator = MigratorFor(runtime->get(), options);
  if (!migrator.ok()) return ReportError(inv, migrator.status());
  Result<std::vector<migrate::Migrator::PlannedMigration>> plan = (*migrator)->Plan();
  if (!plan.ok()) return ReportError(inv, plan.status());
  bool refused = false;
  for (const migrate::Migrator::PlannedMigration& p : *plan) refused = refused || p.classification.refused;

  if (inv.json) {
    JsonWriter out;
    out.Begin().Bool("refused", refused).BeginArray("pending");
    for (const migrate::Migrator::PlannedMigration& p : *plan) {
      out.writer().StartObject();
      out.Str("name", p.migration.name).Str("file", p.migration.file.string()).Bool("no_transaction", p.no_transaction)
          .Bool("refused", p.classification.refused).BeginArray("statements");
      for (const migrate::SqlStatement& st : p.statements) {
        out.writer().StartObject();
        out.Int("line", st.line).Str("sql", st.text);
        out.writer().EndObject();
      }
      out.EndArray().BeginArray("findings");
      for (const migrate::MigrationFinding& f : p.classification.findings) {
        out.writer().StartObject();
        out.Str("rule", std::string(migrate::MigrationRuleId(f.rule))).Str("severity", std::string(migrate::FindingSeverityName(f.severity)))
            .Str("object", f.object).Int("line", f.line).Bool("acknowledged", f.acknowledged).Str("message", f.message);
        out.writer().EndObject();
      }
      out.EndArray();
      out.writer().EndObject();
    }
    PrintJson(out.EndArray().End());
    return refused ? kExitFailed : kExitOk;
  }
  if (plan->empty()) std::printf("nothing to apply: the database is up to date\n");
  for (const migrate::Migrator::PlannedMigration& p : *plan) {
    std::printf("%s %s (%zu statements, %s)\n", p.classification.refused ? "REFUSED" : "would apply",
                p.migration.name.c_str(), p.statements.size(),
                p.no_transaction ? "no transaction: statement by statement" : "one transaction");
    for (const migrate::SqlStatement& st : p.statements) {
      std::printf("  line %d: %s\n", st.line, Summary(st.text).c_str());
    }
    for (const migrate::MigrationFinding& f : p.classification.findings) {
      const char* mark = f.acknowledged                                   ? "acknowledged"
                         : f.severity == migrate::FindingSeverity::kRefused ? "REFUSED"
                                                                       : "warning";
      std::printf("  %s: %s\n", mark, f.message.c_str());
    }
  }
  return refused ? kExitFailed : kExitOk;
}

int RunMigrateApply(const Invocation& inv, const MigrateOptions& options) {
  if (options.dry_run) return RunMigratePlan(inv, options);
  Result<std::unique_ptr<app::Runtime>> runtime = LoadForMigrations(inv);
  if (!runtime.ok()) return ReportError(inv, runtime.status());
  (*runtime)->AllowCreatingDatabase();
  Result<std::unique_ptr<migrate::Migrator>> migrator = MigratorFor(runtime->get(), options);
  if (!migrator.ok()) return ReportError(inv, migrator.status());
  Result<std::vector<std::string>> applied = (*migrator)->Apply();
  for (const std::string& warning : (*migrator)->warnings()) std::fprintf(stderr, "tether: warning: %s\n", ShownMessage(warning).c_str());
  if (!applied.ok()) return ReportError(inv, applied.status(), kExitFailed);
  if (inv.json) {
    JsonWriter out;
    out.Begin().BeginArray("applied");
    for (const std::string& name : *applied) out.writer().String(name.c_str());
    PrintJson(out.EndArray().End());
  } else if (applied->empty()) {
    std::printf("nothing to apply: the database is up to date\n");
  } else {
    for (const std::string& name : *applied) std::printf("applied %s\n", name.c_str());
  }
  return kExitOk;
}

int RunMigrateVerify(const Invocation& inv, const MigrateOptions& options) {
  Result<std::unique_ptr<app::Runtime>> runtime = LoadForMigrations(inv);
  if (!runtime.ok()) return ReportError(inv, runtime.status());
  Result<std::unique_ptr<migrate::Migrator>> migrator = MigratorFor(runtime->get(), options);
  if (!migrator.ok()) return ReportError(inv, migrator.status());
  Result<migrate::Migrator::VerifyReport> report = (*migrator)->Verify();
  if (!report.ok()) return ReportError(inv, report.status());
  // Syncs change documents legitimately: once one has written since the
  // evidence was taken, a change of values is theirs, not the migration's;
  // only what no sync changes (a column gone, its type changed) counts.
  int64_t syncs_since = 0;
  if (!report->against.empty()) {
    Result<db::Database*> db = (*runtime)->database(/*require_migrated=*/false);
    if (!db.ok()) return ReportError(inv, db.status());
    Result<int64_t> succeeded = db::RunStore(*db).CountSucceededSince(report->against_applied_at);
    if (!succeeded.ok()) return ReportError(inv, succeeded.status());
    syncs_since = *succeeded;
  }
  std::vector<const migrate::FingerprintDifference*> counted, by_syncs;
  for (const migrate::FingerprintDifference& d : report->differences) {
    (syncs_since > 0 && !d.structural() ? by_syncs : counted).push_back(&d);
  }
  const bool ok = counted.empty();
  if (inv.json) {
    JsonWriter out;
    out.Begin().StrOrNull("against", report->against).Bool("ok", ok).Int("syncs_since", syncs_since);
    out.BeginArray("columns");
    for (const migrate::ColumnFingerprint& f : report->now) {
      out.writer().StartObject();
      out.Str("column", f.Name()).Bool("exists", f.exists).Int("rows", f.rows).Int("non_null", f.non_null)
          .Str("type", f.declared_type).Str("sha256", f.values_sha256);
      out.writer().EndObject();
    }
    out.EndArray().BeginArray("differences");
    for (const migrate::FingerprintDifference* d : counted) out.writer().String(d->text.c_str());
    out.EndArray().BeginArray("changed_by_syncs");
    for (const migrate::FingerprintDifference* d : by_syncs) out.writer().String(d->text.c_str());
    PrintJson(out.EndArray().End());
  } else {
    if (report->against.empty()) {
      std::printf("no migration recorded evidence yet; protected columns now:\n");
    } else {
      std::printf("protected columns against the evidence of %s:\n", report->against.c_str());
    }
    for (const migrate::ColumnFingerprint& f : report->now) {
      std::printf("  %-36s %s\n", f.Name().c_str(),
                  f.exists ? (std::to_string(f.rows) + " rows, " + std::to_string(f.non_null) + " non-null, " +
                              f.declared_type).c_str()
                           : "absent");
    }
    for (const migrate::FingerprintDifference* d : counted) std::printf("DIFFERENT: %s\n", d->text.c_str());
    if (!by_syncs.empty()) {
      std::printf("%lld sync(s) wrote since %s was applied; %zu column(s) changed values, as syncs do, and "
                  "are compared for presence and type only\n",
                  static_cast<long long>(syncs_since), report->against.c_str(), by_syncs.size());
    }
    if (!report->against.empty() && ok) {
      std::printf(by_syncs.empty() ? "ok: all protected data matches\n"
                                   : "ok: every protected column is there with its declared type\n");
    }
  }
  return ok ? kExitOk : kExitFailed;
}

}  // namespace tether::cli

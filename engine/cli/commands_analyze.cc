// tether analyze, tether symbols, tether docs export, tether gc: the
// analysis of synced content on its own (engine/analyze), symbol search
// through the project's storage, the documentation site written from the
// stored results (engine/docs), and the removal of results nothing needs
// any more.
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "engine/analyze/analyze_project.h"
#include "engine/analyze/collect_unused.h"
#include "engine/cli/cli.h"
#include "engine/cli/display.h"
#include "engine/cli/table.h"
#include "engine/common/human_units.h"
#include "engine/common/json_writer.h"
#include "engine/docs/docs_export.h"
#include "engine/db/project_store.h"
#include "engine/sync/lease_owner.h"
#include "engine/views/json_views.h"
#include "tether/storage.h"

namespace tether::cli {
namespace {

// The key of the analyzer plugin called `name`, for reading its results.
Result<AnalyzerKey> KeyOf(app::Runtime& runtime, const std::string& name) {
  Result<Analyzer*> analyzer = runtime.plugins().FindAnalyzer(name);
  if (!analyzer.ok()) return analyzer.status();
  return (*analyzer)->Key();
}

// "7d", "12h", "30m", "45s", "0": a grace period in seconds.
Result<int64_t> ParseGrace(const std::string& text) {
  std::optional<int64_t> seconds = ParseSeconds(text);
  if (!seconds) {
    return Status::InvalidArgument("--grace \"" + text + "\": give a number with s, m, h or d (\"7d\", \"12h\", \"0\")");
  }
  return *seconds;
}

// What reading one project's analysis needs: the runtime (which owns the
// plugins), the project, its storage and the analyzer's key.
struct AnalysisTarget {
  std::unique_ptr<app::Runtime> runtime;
  db::Project project;
  Storage* storage = nullptr;
  AnalyzerKey key;
};

// NotFound for an unknown project or analyzer; InvalidArgument when the
// project's storage keeps no analysis results.
Result<AnalysisTarget> OpenAnalysisTarget(const Invocation& inv, const std::string& project_name,
                                          const std::string& analyzer) {
  AnalysisTarget target;
  Result<std::unique_ptr<app::Runtime>> runtime = LoadRuntime(inv);
  if (!runtime.ok()) return runtime.status();
  target.runtime = std::move(runtime).value();
  Result<db::Database*> db = target.runtime->database();
  if (!db.ok()) return db.status();
  Result<std::string> tenant = TenantOf(inv, *db);
  if (!tenant.ok()) return tenant.status();
  Result<db::Project> project = db::ProjectStore(*db).Get(*tenant, project_name);
  if (!project.ok()) return project.status();
  target.project = std::move(project).value();
  Result<AnalyzerKey> key = KeyOf(*target.runtime, analyzer);
  if (!key.ok()) return key.status();
  target.key = *key;
  const std::string& storage_name = target.project.storage;
  if (!target.runtime->plugins().StorageKeepsAnalysis(storage_name)) {
    return Status::InvalidArgument("storage plugin \"" + storage_name +
                                   "\" keeps no analysis results (it is built for an SDK before 3.2)");
  }
  Result<Storage*> storage = target.runtime->plugins().FindStorage(storage_name);
  if (!storage.ok()) return storage.status();
  target.storage = *storage;
  return target;
}

}  // namespace

int RunAnalyze(const Invocation& inv, const AnalyzeOptions& options) {
  if (options.all == !options.projects.empty()) {
    return ReportError(inv, Status::InvalidArgument("name the projects to analyse, or pass --all (not both)"));
  }
  CatchStopSignals();
  Result<std::unique_ptr<app::Runtime>> runtime = LoadRuntime(inv);
  if (!runtime.ok()) return ReportError(inv, runtime.status());
  Result<db::Database*> db = (*runtime)->database();
  if (!db.ok()) return ReportError(inv, db.status());
  Result<std::string> tenant = TenantOf(inv, *db);
  if (!tenant.ok()) return ReportError(inv, tenant.status());
  std::vector<db::Project> projects;
  if (options.all) {
    Result<std::vector<db::Project>> all = db::ProjectStore(*db).List();
    if (!all.ok()) return ReportError(inv, all.status());
    for (db::Project& p : *all) {
      if (inv.tenant.empty() || p.tenant_id == *tenant) projects.push_back(std::move(p));
    }
  } else {
    for (const std::string& name : options.projects) {
      Result<db::Project> found = db::ProjectStore(*db).Get(*tenant, name);
      if (!found.ok()) return ReportError(inv, found.status());
      projects.push_back(std::move(found).value());
    }
  }
  // Without an analyzer there may still be a text index to catch up on
  // (a storage built for SDK 3.8 indexes after the write).
  const plugin_host::PluginHost& plugins = (*runtime)->plugins();
  const bool any_text_later = std::any_of(projects.begin(), projects.end(), [&](const db::Project& p) {
    return plugins.StorageIndexesTextLater(p.storage);
  });
  if (plugins.AnalyzerNames().empty() && !any_text_later) {
    return ReportError(inv, Status::InvalidArgument(
                                "no analyzer plugin in the config's plugin list, and no text index to catch up on; "
                                "add an analyzer, such as {\"name\": \"code\", \"kind\": \"analyzer\"}"));
  }

  const bool terminal = !inv.json && isatty(STDERR_FILENO);
  bool failed = false;
  JsonWriter out;
  out.Begin().BeginArray("projects");
  for (const db::Project& project : projects) {
    if (StopToken().cancelled()) break;
    std::vector<db::AnalyzerTally> tallies;
    Result<Storage*> storage = (*runtime)->plugins().FindStorage(project.storage);
    if (!storage.ok()) return ReportError(inv, storage.status().WithContext("project \"" + project.name + "\""));
    std::vector<analyze::NamedAnalyzer> analyzers =
        analyze::UsableAnalyzers((*runtime)->plugins(), project.storage, &tallies);
    analyze::AnalyzeOptions run;
    run.owner = sync::NewLeaseOwner();
    run.project_name = project.name;
    // The config's limits, as a sync's analysis has them.
    const config::Defaults& defaults = (*runtime)->config().defaults;
    run.threads = defaults.analysis_threads;
    run.time_limit_ms = defaults.analysis_time_limit_ms;
    run.max_bytes = defaults.analysis_max_bytes;
    run.page_size = defaults.analysis_page_size;
    run.owner_is_gone = sync::LeaseOwnerIsGone;
    run.should_stop = [] { return StopToken().cancelled(); };
    if (terminal) {
      run.on_progress = [&](int64_t done, int64_t total) {
        std::fprintf(stderr, "\r\033[K  %s: analyze %lld/%lld files", Shown(project.name).c_str(),
                     static_cast<long long>(done), static_cast<long long>(total));
        std::fflush(stderr);
      };
    }
    const int64_t indexed = analyze::IndexText((*runtime)->plugins(), project.storage, *storage,
                                               ProjectRef{project.id, project.tenant_id}, project.name, run.should_stop);
    std::vector<db::AnalyzerTally> done =
        analyze::AnalyzeProject(*storage, ProjectRef{project.id, project.tenant_id}, analyzers, run);
    if (terminal) std::fprintf(stderr, "\r\033[K");
    tallies.insert(tallies.end(), done.begin(), done.end());
    for (const db::AnalyzerTally& t : tallies) failed = failed || !t.error.empty();
    if (inv.json) {
      out.writer().StartObject();
      out.Str("project", project.name).Int("text_indexed", indexed);
      views::WriteAnalysisMember(out, tallies);
      out.writer().EndObject();
    } else {
      std::printf("%s:\n", Shown(project.name).c_str());
      if (indexed > 0) std::printf("  text index: %lld documents indexed\n", static_cast<long long>(indexed));
      PrintAnalysis(tallies);
    }
  }
  out.EndArray();
  if (inv.json) PrintJson(out.End());
  if (StopToken().cancelled()) {
    if (!inv.json) std::fprintf(stderr, "tether: stopped; what was analysed is kept, the rest waits for the next run\n");
    return StopToken().reason() == sync::CancelReason::kTerminate ? kExitTerminated : kExitCancelled;
  }
  return failed ? kExitFailed : kExitOk;
}

int RunSymbols(const Invocation& inv, const SymbolsOptions& options) {
  if (options.query.empty()) return ReportError(inv, Status::InvalidArgument("give a name to search for"));
  if (options.limit < 1 || options.limit > 1000) {
    return ReportError(inv, Status::InvalidArgument("--limit must be 1 to 1000"));
  }
  Result<AnalysisTarget> target = OpenAnalysisTarget(inv, options.project, options.analyzer);
  if (!target.ok()) return ReportError(inv, target.status());
  SymbolQuery query;
  query.key = target->key;
  query.text = options.query;
  query.kind = options.kind;
  query.path_prefix = options.path;
  query.limit = options.limit;
  Result<SymbolPage> page =
      target->storage->SearchSymbols(ProjectRef{target->project.id, target->project.tenant_id}, query);
  if (!page.ok()) return ReportError(inv, page.status());
  if (inv.json) {
    JsonWriter out;
    out.Begin().BeginArray("symbols");
    for (const SymbolHit& hit : page->hits) views::WriteSymbolHit(out, hit);
    out.EndArray().Bool("more", page->more);
    PrintJson(out.End());
    return kExitOk;
  }
  if (page->hits.empty()) {
    std::fprintf(stderr, "tether: no symbol matches \"%s\" in %s\n", Shown(options.query).c_str(),
                 Shown(options.project).c_str());
    return kExitFailed;
  }
  Table table({"WHERE", "KIND", "NAME", "IN", "SIGNATURE"});
  for (const SymbolHit& hit : page->hits) {
    table.AddRow({Shown(hit.path) + ":" + std::to_string(hit.symbol.start_line) + "-" +
                      std::to_string(hit.symbol.end_line),
                  Shown(hit.symbol.kind), Shown(hit.symbol.name), Shown(hit.symbol.parent),
                  Shown(hit.symbol.signature)});
  }
  table.Print();
  if (page->more) std::printf("(more matches: narrow the search, or raise --limit)\n");
  return kExitOk;
}

int RunDocsExport(const Invocation& inv, const DocsExportOptions& options) {
  Result<AnalysisTarget> target = OpenAnalysisTarget(inv, options.project, options.analyzer);
  if (!target.ok()) return ReportError(inv, target.status());
  const db::Project& project = target->project;
  if (!target->runtime->plugins().StorageKeepsOutputs(project.storage)) {
    return ReportError(inv, Status::InvalidArgument("storage plugin \"" + project.storage +
                                                    "\" keeps no documentation (it is built for an SDK before 3.3)"));
  }
  docs::PagesSource source;
  source.storage = target->storage;
  source.project = ProjectRef{project.id, project.tenant_id};
  source.analyzer_id = target->key.id;
  Result<std::vector<docs::Page>> pages = docs::ReadSite(source);
  if (!pages.ok()) return ReportError(inv, pages.status());
  if (pages->empty()) {
    return ReportError(inv, Status::NotFound("project \"" + project.name + "\" has no documentation yet: " +
                                             target->key.id + " writes it after a sync's analysis (tether analyze " +
                                             project.name + ")"));
  }
  Result<docs::ExportReport> report = docs::ExportSite(*pages, options.dir, options.html);
  if (!report.ok()) return ReportError(inv, report.status());
  if (inv.json) {
    JsonWriter out;
    out.Begin().Str("dir", options.dir).Int("pages", static_cast<int64_t>(pages->size()))
        .List("written", report->written).Int("unchanged", report->unchanged).List("removed", report->removed);
    PrintJson(out.End());
  } else {
    std::printf("%s: %zu page(s) in %s: %zu written, %lld unchanged, %zu removed\n", Shown(project.name).c_str(),
                pages->size(), Shown(options.dir).c_str(), report->written.size(),
                static_cast<long long>(report->unchanged), report->removed.size());
  }
  return kExitOk;
}

int RunGc(const Invocation& inv, const GcOptions& options) {
  Result<int64_t> grace = ParseGrace(options.grace);
  if (!grace.ok()) return ReportError(inv, grace.status());
  Result<std::unique_ptr<app::Runtime>> runtime = LoadRuntime(inv);
  if (!runtime.ok()) return ReportError(inv, runtime.status());
  Result<db::Database*> db = (*runtime)->database();
  if (!db.ok()) return ReportError(inv, db.status());
  Result<int64_t> removed = analyze::CollectUnusedResults(*db, (*runtime)->plugins(), *grace);
  if (!removed.ok()) return ReportError(inv, removed.status());
  if (inv.json) {
    JsonWriter out;
    PrintJson(out.Begin().Int("removed", *removed).Int("grace_seconds", *grace).End());
  } else {
    std::printf("removed %lld analysis result(s) unused for %s or more\n", static_cast<long long>(*removed),
                options.grace.c_str());
  }
  return kExitOk;
}

}  // namespace tether::cli

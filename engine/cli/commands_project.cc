// tether project add|list|show|remove|branches|select-branch|enable|disable.
// Human output shows repository URLs, branch names and errors escaped
// (display.h).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "engine/views/json_views.h"
#include "engine/projects/project_service.h"
#include "engine/analyze/analyze_project.h"
#include "engine/cli/cli.h"
#include "engine/schedule/schedule.h"
#include "engine/cli/display.h"
#include "engine/cli/table.h"
#include "shared/clock.h"
#include "engine/common/human_units.h"
#include "engine/common/json_writer.h"
#include "engine/db/project_store.h"
#include "engine/db/run_store.h"
#include "engine/sync/stored_cursor.h"
#include "tether/provider.h"

namespace tether::cli {
namespace {

// The open runtime and database of a project command, and the tenant its
// project names are in.
struct Session {
  std::unique_ptr<app::Runtime> runtime;
  db::Database* db = nullptr;
  std::string tenant;

  Result<db::Project> Get(const std::string& name) { return db::ProjectStore(db).Get(tenant, name); }
};

Result<Session> Open(const Invocation& inv) {
  Result<std::unique_ptr<app::Runtime>> runtime = LoadRuntime(inv);
  if (!runtime.ok()) return runtime.status();
  Result<db::Database*> db = (*runtime)->database();
  if (!db.ok()) return db.status();
  Result<std::string> tenant = TenantOf(inv, *db);
  if (!tenant.ok()) return tenant.status();
  Session session;
  session.runtime = std::move(runtime).value();
  session.db = *db;
  session.tenant = std::move(tenant).value();
  return session;
}

projects::ProjectService Projects(const Session& s) {
  return projects::ProjectService(s.db, &s.runtime->plugins(), &s.runtime->config().defaults);
}

// The last synced commit as the project's storage holds it; shown as none
// when the storage cannot say.
std::string Cursor(const Session& s, const db::Project& p) {
  return sync::StoredCursorOrEmpty(s.runtime->plugins(), p);
}

void WriteProject(const Session& s, JsonWriter& out, const db::Project& p) {
  views::WriteProjectMembers(out, p, Cursor(s, p));
}

// How many documents hold the derived data `name` (0 when the storage has
// no such kind).
int64_t DerivedDocuments(const StorageCounts& counts, const std::string& name) {
  for (const DerivedCount& d : counts.derived) {
    if (d.name == name) return d.documents;
  }
  return 0;
}

// The schedule `p` follows: its own, or the config's default.
schedule::Schedule Followed(const Session& s, const db::Project& p) {
  return schedule::Effective(p.schedule, schedule::Effective(s.runtime->config().defaults.schedule, schedule::Schedule()));
}

void PrintProject(const Session& s, const db::Project& p) {
  const std::string cursor = Cursor(s, p);
  std::printf("name:        %s\n", p.name.c_str());
  std::printf("repository:  %s (%s)\n", Shown(p.repo_url).c_str(), p.provider.c_str());
  std::printf("branch:      %s\n", Shown(p.branch).c_str());
  std::printf("storage:     %s\n", p.storage.c_str());
  std::printf("enabled:     %s\n", p.sync_enabled ? "yes" : "no");
  std::printf("status:      %s\n", p.status.c_str());
  std::printf("commit:      %s\n", cursor.empty() ? "-" : cursor.c_str());
  std::printf("synced at:   %s\n",
              p.last_synced_at.empty() ? "-"
                                       : (p.last_synced_at + " (" + HumanAgo(p.last_synced_at, NowUnixSeconds()) + ")").c_str());
  if (!p.last_error.empty()) std::printf("last error:  %s\n", ShownMessage(p.last_error).c_str());
  const schedule::Schedule followed = Followed(s, p);
  std::string when = schedule::Describe(followed) + (p.schedule.empty() ? " (the config's default)" : "");
  if (followed.kind != schedule::ScheduleKind::kOff && p.sync_enabled) {
    const int64_t now = NowUnixSeconds();
    if (!p.next_sync_at || *p.next_sync_at <= now) {
      when += "; due now (for the first free worker)";
    } else {
      when += "; next in " + HumanDuration(static_cast<double>(*p.next_sync_at - now) * 1000.0);
    }
  }
  std::printf("schedule:    %s\n", when.c_str());
  if (!p.lease_worker.empty()) {
    std::printf("running on:  worker %s\n", Shown(p.lease_worker).c_str());
  } else if (p.sync_requested) {
    std::printf("running on:  - (a sync is asked for: the first free worker runs it)\n");
  }
}

}  // namespace

int RunProjectAdd(const Invocation& inv, const ProjectAddOptions& options) {
  Result<Session> s = Open(inv);
  if (!s.ok()) return ReportError(inv, s.status());
  projects::AddProjectRequest request;
  request.name = options.name;
  request.provider = options.provider;
  request.storage = options.storage;
  request.repo = options.repo;
  request.branch = options.branch;
  request.tenant_id = s->tenant;
  const int schedules = (options.every.empty() ? 0 : 1) + (options.adaptive ? 1 : 0) + (options.no_schedule ? 1 : 0);
  if (schedules > 1) {
    return ReportError(inv, Status::InvalidArgument("give at most one of --every, --adaptive and --no-schedule"));
  }
  request.schedule = !options.every.empty() ? options.every : options.adaptive ? "adaptive"
                                                            : options.no_schedule ? "off" : "";
  // A relative --repo means this directory; the provider makes it absolute,
  // so that a run started anywhere else finds the same repository.
  std::error_code cwd_error;
  request.working_directory = std::filesystem::current_path(cwd_error).string();
  Result<db::Project> added = Projects(*s).Add(request);
  if (!added.ok()) {
    if (added.status().code() == StatusCode::kConflict) return ReportError(inv, added.status(), kExitUsage);
    return ReportError(inv, added.status());
  }
  if (inv.json) {
    JsonWriter out;
    out.Begin();
    WriteProject(*s, out, *added);
    PrintJson(out.End());
  } else {
    std::printf("added project %s: %s, branch %s\n", added->name.c_str(), Shown(added->repo_url).c_str(),
                Shown(added->branch).c_str());
  }
  return kExitOk;
}

// Every project the connection sees, of every tenant unless --tenant names one.
int RunProjectList(const Invocation& inv) {
  Result<Session> s = Open(inv);
  if (!s.ok()) return ReportError(inv, s.status());
  db::ProjectStore store(s->db);
  Result<std::vector<db::Project>> projects = store.List();
  if (!projects.ok()) return ReportError(inv, projects.status());
  if (!inv.tenant.empty()) {
    std::vector<db::Project> of_tenant;
    for (db::Project& p : *projects) {
      if (p.tenant_id == inv.tenant) of_tenant.push_back(std::move(p));
    }
    *projects = std::move(of_tenant);
  }
  if (inv.json) {
    JsonWriter out;
    out.Begin().BeginArray("projects");
    for (const db::Project& p : *projects) {
      out.writer().StartObject();
      WriteProject(*s, out, p);
      out.writer().EndObject();
    }
    PrintJson(out.EndArray().End());
    return kExitOk;
  }
  Table table({"NAME", "TENANT", "PROVIDER", "BRANCH", "ENABLED", "REPOSITORY"});
  for (const db::Project& p : *projects) {
    table.AddRow({Shown(p.name), Shown(p.tenant_id), p.provider, Shown(p.branch), p.sync_enabled ? "yes" : "no",
                  Shown(p.repo_url)});
  }
  table.Print();
  return kExitOk;
}

int RunProjectShow(const Invocation& inv, const std::string& name) {
  Result<Session> s = Open(inv);
  if (!s.ok()) return ReportError(inv, s.status());
  Result<db::Project> project = s->Get(name);
  if (!project.ok()) return ReportError(inv, project.status());
  db::RunStore runs(s->db);
  Result<std::vector<db::SyncRun>> recent = runs.List(project->id, 5);
  if (!recent.ok()) return ReportError(inv, recent.status());
  Result<Storage*> storage = s->runtime->plugins().FindStorage(project->storage);
  StorageCounts counts;
  if (storage.ok()) {
    Result<StorageCounts> c = (*storage)->Counts(ProjectRef{project->id, project->tenant_id});
    if (c.ok()) counts = *c;
  }
  // How the project's current content stands with each analyzer that
  // analyses blobs; for one that is a repository step alone (docs), what
  // the last run that ran it said.
  std::vector<std::pair<std::string, AnalysisCounts>> analysis;
  std::vector<db::AnalyzerTally> steps;
  if (storage.ok() && s->runtime->plugins().StorageKeepsAnalysis(project->storage)) {
    std::vector<db::AnalyzerTally> unusable;
    for (const analyze::NamedAnalyzer& named :
         analyze::UsableAnalyzers(s->runtime->plugins(), project->storage, &unusable)) {
      const AnalyzerKey key = named.analyzer->Key();
      if (!named.analyses_blobs) {
        db::AnalyzerTally last;
        last.analyzer = key.id;
        last.error = "no run has brought it up to date yet";
        for (const db::SyncRun& r : *recent) {
          auto it = std::find_if(r.analysis.begin(), r.analysis.end(),
                                 [&](const db::AnalyzerTally& t) { return t.analyzer == key.id; });
          if (it == r.analysis.end()) continue;
          last = *it;
          break;
        }
        steps.push_back(std::move(last));
        continue;
      }
      Result<AnalysisCounts> c = (*storage)->CountAnalysis(ProjectRef{project->id, project->tenant_id}, key);
      if (c.ok()) analysis.emplace_back(key.id, *c);
    }
  }
  if (inv.json) {
    JsonWriter out;
    out.Begin();
    WriteProject(*s, out, *project);
    out.BeginObject("analysis");
    for (const auto& [id, c] : analysis) {
      out.BeginObject(id.c_str()).Int("analyzed", c.analyzed).Int("failed", c.failed).Int("skipped", c.skipped)
          .Int("poison", c.poison).Int("pending", c.pending).End();
    }
    for (const db::AnalyzerTally& t : steps) {
      out.BeginObject(t.analyzer.c_str()).Bool("complete", t.complete).StrOrNull("error", t.error).End();
    }
    out.End();
    out.BeginObject("documents").Int("count", counts.documents).Int("with_content", counts.with_content)
        .Int("binary", counts.binary).Int("with_embedding", DerivedDocuments(counts, "embedding"))
        .Int("total_bytes", counts.total_bytes).End();
    out.BeginArray("recent_runs");
    for (const db::SyncRun& r : *recent) {
      out.writer().StartObject();
      out.Int("id", r.id).Str("outcome", r.outcome).StrOrNull("mode", r.mode).Str("started_at", r.started_at)
          .StrOrNull("to_commit", r.to_commit).StrOrNull("error", r.error);
      out.writer().EndObject();
    }
    PrintJson(out.EndArray().End());
    return kExitOk;
  }
  PrintProject(*s, *project);
  std::string derived;
  for (const DerivedCount& d : counts.derived) {
    derived += ", " + std::to_string(d.documents) + " with " + d.name;
  }
  std::printf("documents:   %lld (%lld with content, %lld binary%s), %s\n", static_cast<long long>(counts.documents),
              static_cast<long long>(counts.with_content), static_cast<long long>(counts.binary), derived.c_str(),
              HumanBytes(counts.total_bytes).c_str());
  for (const auto& [id, c] : analysis) {
    std::printf("analysis:    %s: %lld analyzed, %lld failed, %lld skipped, %lld poison, %lld pending\n", id.c_str(),
                static_cast<long long>(c.analyzed), static_cast<long long>(c.failed),
                static_cast<long long>(c.skipped), static_cast<long long>(c.poison),
                static_cast<long long>(c.pending));
  }
  for (const db::AnalyzerTally& t : steps) {
    std::printf("analysis:    %s: %s\n", t.analyzer.c_str(),
                t.complete ? "up to date with the last run"
                           : ("not up to date" + (t.error.empty() ? std::string() : ": " + ShownMessage(t.error))).c_str());
  }
  if (recent->empty()) return kExitOk;
  std::printf("recent runs:\n");
  const int64_t now = NowUnixSeconds();
  Table table({"RUN", "STARTED", "TRIGGER", "OUTCOME", "MODE", "ADDED", "MODIFIED", "DELETED", "RENAMED", "READ",
               "DURATION", "ERROR"});
  for (const db::SyncRun& r : *recent) {
    table.AddRow({"#" + std::to_string(r.id), HumanAgo(r.started_at, now), r.trigger, r.outcome,
                  r.mode.empty() ? "-" : r.mode, std::to_string(r.counts.added), std::to_string(r.counts.modified),
                  std::to_string(r.counts.deleted), std::to_string(r.counts.renamed), HumanBytes(r.counts.bytes_read),
                  HumanDuration(r.DurationMs()), r.error.empty() ? "" : ShownMessage(r.error)});
  }
  table.Print("  ");
  return kExitOk;
}

int RunProjectRemove(const Invocation& inv, const std::string& name, bool yes) {
  Result<Session> s = Open(inv);
  if (!s.ok()) return ReportError(inv, s.status());
  Result<db::Project> project = s->Get(name);
  if (!project.ok()) return ReportError(inv, project.status());
  // What goes with it, as its storage counts it (unknown when the storage
  // cannot say: the removal does not depend on the count).
  int64_t documents = -1;
  Result<Storage*> storage = s->runtime->plugins().FindStorage(project->storage);
  if (storage.ok()) {
    Result<StorageCounts> counts = (*storage)->Counts(ProjectRef{project->id, project->tenant_id});
    if (counts.ok()) documents = counts->documents;
  }
  const std::string what = documents < 0 ? std::string("its documents")
                                         : std::to_string(documents) + (documents == 1 ? " document" : " documents");
  if (!yes && isatty(STDIN_FILENO)) {
    std::fprintf(stderr, "Remove project %s and %s, with its runs and events? This cannot be undone. [y/N] ",
                 Shown(name).c_str(), what.c_str());
    std::fflush(stderr);
    std::string answer;
    for (int c = std::getchar(); c != EOF && c != '\n'; c = std::getchar()) answer.push_back(static_cast<char>(c));
    if (answer != "y" && answer != "Y" && answer != "yes") {
      std::fprintf(stderr, "nothing was removed\n");
      return kExitUsage;
    }
  }
  Status removed = Projects(*s).Remove(*project, "cli");
  if (!removed.ok()) return ReportError(inv, removed);
  if (!inv.json) {
    std::printf("removed project %s and %s\n", Shown(name).c_str(), what.c_str());
  } else {
    JsonWriter out;
    out.Begin().Str("removed", name);
    if (documents >= 0) out.Int("documents", documents);
    else out.Null("documents");
    PrintJson(out.End());
  }
  return kExitOk;
}

int RunProjectBranches(const Invocation& inv, const std::string& name) {
  Result<Session> s = Open(inv);
  if (!s.ok()) return ReportError(inv, s.status());
  Result<db::Project> project = s->Get(name);
  if (!project.ok()) return ReportError(inv, project.status());
  Result<BranchList> branches = Projects(*s).Branches(*project);
  if (!branches.ok()) return ReportError(inv, branches.status());
  if (inv.json) {
    JsonWriter out;
    out.Begin().Str("selected", project->branch).Str("default", branches->default_branch).BeginArray("branches");
    for (const Branch& b : branches->branches) {
      out.writer().StartObject();
      out.Str("name", b.name).Str("head", b.head).Bool("default", b.name == branches->default_branch)
          .Bool("selected", b.name == project->branch);
      out.writer().EndObject();
    }
    PrintJson(out.EndArray().End());
    return kExitOk;
  }
  for (const Branch& b : branches->branches) {
    std::printf("%s %-40s %s%s\n", b.name == project->branch ? "*" : " ", Shown(b.name).c_str(),
                b.head.substr(0, 12).c_str(), b.name == branches->default_branch ? "  (default)" : "");
  }
  return kExitOk;
}

namespace {

// Applies `update` to the project called `name` through `s`; the project
// as it is afterwards, or what went wrong.
Result<db::Project> UpdateProject(Session& s, const std::string& name, const projects::ProjectUpdate& update) {
  Result<db::Project> project = s.Get(name);
  if (!project.ok()) return project.status();
  TETHER_RETURN_IF_ERROR(Projects(s).Update(*project, update));
  return s.Get(name);
}

Result<db::Project> UpdateProject(const Invocation& inv, const std::string& name,
                                  const projects::ProjectUpdate& update) {
  Result<Session> s = Open(inv);
  if (!s.ok()) return s.status();
  return UpdateProject(*s, name, update);
}

}  // namespace

int RunProjectSelectBranch(const Invocation& inv, const std::string& name, const std::string& branch) {
  projects::ProjectUpdate update;
  update.branch = branch;
  Result<Session> s = Open(inv);
  if (!s.ok()) return ReportError(inv, s.status());
  Result<db::Project> project = UpdateProject(*s, name, update);
  if (!project.ok()) return ReportError(inv, project.status());
  // What the next sync will change: told, not required (the selection
  // stands whatever the preview says).
  Result<projects::BranchPreview> preview = Projects(*s).PreviewBranch(*project, branch);
  if (inv.json) {
    JsonWriter out;
    out.Begin().Str("project", name).Str("branch", branch);
    if (preview.ok()) {
      out.BeginObject("next_sync").Str("head", preview->head).Int("files", preview->Files())
          .Int("added", preview->added).Int("modified", preview->modified).Int("deleted", preview->deleted)
          .Int("renamed", preview->renamed).End();
    } else {
      out.writer().Key("next_sync");
      out.writer().Null();
    }
    PrintJson(out.End());
    return kExitOk;
  }
  std::printf("project %s now syncs branch %s\n", name.c_str(), Shown(branch).c_str());
  if (!preview.ok()) {
    std::fprintf(stderr, "tether: cannot tell what the next sync will change: %s\n",
                 ShownMessage(preview.status().message()).c_str());
  } else if (preview->Files() == 0) {
    std::printf("the next sync changes no file\n");
  } else {
    std::printf("the next sync changes %lld file%s (%lld added, %lld modified, %lld deleted, %lld renamed)\n",
                static_cast<long long>(preview->Files()), preview->Files() == 1 ? "" : "s",
                static_cast<long long>(preview->added), static_cast<long long>(preview->modified),
                static_cast<long long>(preview->deleted), static_cast<long long>(preview->renamed));
  }
  return kExitOk;
}

int RunProjectSchedule(const Invocation& inv, const ScheduleOptions& options) {
  const int given = (options.every.empty() ? 0 : 1) + (options.adaptive ? 1 : 0) + (options.off ? 1 : 0) +
                    (options.follow_default ? 1 : 0);
  if (given != 1) {
    return ReportError(inv, Status::InvalidArgument("give exactly one of --every INTERVAL, --adaptive, --off and --default"));
  }
  projects::ProjectUpdate update;
  update.schedule = !options.every.empty() ? options.every : options.adaptive ? "adaptive" : options.off ? "off" : "";
  Result<Session> s = Open(inv);
  if (!s.ok()) return ReportError(inv, s.status());
  Result<db::Project> project = UpdateProject(*s, options.name, update);
  if (!project.ok()) return ReportError(inv, project.status());
  const schedule::Schedule followed = Followed(*s, *project);
  if (inv.json) {
    PrintJson(JsonWriter().Begin().Str("project", options.name).StrOrNull("schedule", project->schedule)
                  .Str("follows", schedule::StoredText(followed)).End());
    return kExitOk;
  }
  std::printf("project %s syncs by itself: %s%s\n", options.name.c_str(), schedule::Describe(followed).c_str(),
              project->schedule.empty() ? " (the config's default)" : "");
  return kExitOk;
}

int RunProjectEnable(const Invocation& inv, const std::string& name, bool enabled) {
  projects::ProjectUpdate update;
  update.sync_enabled = enabled;
  Result<db::Project> set = UpdateProject(inv, name, update);
  if (!set.ok()) return ReportError(inv, set.status());
  if (inv.json) PrintJson(JsonWriter().Begin().Str("project", name).Bool("sync_enabled", enabled).End());
  else std::printf("project %s %s\n", name.c_str(), enabled ? "enabled" : "disabled");
  return kExitOk;
}

}  // namespace tether::cli

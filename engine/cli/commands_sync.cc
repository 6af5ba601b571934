// tether sync: runs each named project (or --all) through the sync runner
// and reports each run; a progress bar on a terminal, plain lines otherwise.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <variant>
#include <vector>

#include "engine/views/json_views.h"
#include "engine/cli/cli.h"
#include "engine/cli/display.h"
#include "engine/common/human_units.h"
#include "engine/common/json_writer.h"
#include "engine/db/project_store.h"
#include "engine/sync/sync_runner.h"

namespace tether::cli {
namespace {

// Shows a run's progress on stderr, from its events. On a terminal: one
// line redrawn in place, naming each phase as it starts, and for the write
// a bar with files per second and the time left; cleared when the run
// ends. Otherwise (a log): a line per 10% of the write and one for each
// phase that took a second or more, so that a long run is never silent.
class ProgressReporter {
 public:
  explicit ProgressReporter(bool terminal) : terminal_(terminal) {}

  void OnEvent(const sync::Event& event) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (const auto* started = std::get_if<sync::PhaseStarted>(&event.body)) {
      phase_started_ = std::chrono::steady_clock::now();
      if (terminal_) Draw(std::string("  ") + sync::ToString(started->phase) + "...");
      return;
    }
    if (const auto* finished = std::get_if<sync::PhaseFinished>(&event.body)) {
      if (!terminal_ && finished->ms >= 1000) {
        std::fprintf(stderr, "  %s: done in %s\n", sync::ToString(finished->phase), HumanDuration(finished->ms).c_str());
      }
      return;
    }
    if (std::holds_alternative<sync::RunFinished>(event.body)) {
      if (terminal_ && drawn_) std::fprintf(stderr, "\r\033[K");
      drawn_ = false;
      last_decile_ = -1;
      std::fflush(stderr);
      return;
    }
    const auto* progress = std::get_if<sync::PhaseProgress>(&event.body);
    if (progress == nullptr || progress->total <= 0) return;
    const int64_t done = progress->done, total = progress->total;
    const int percent = static_cast<int>(done * 100 / total);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - phase_started_).count();
    std::string rate;
    if (done > 0 && seconds >= 0.5) {
      const double per_second = static_cast<double>(done) / seconds;
      rate = ", " + std::to_string(static_cast<int64_t>(per_second)) + " files/s";
      if (done < total) rate += ", " + HumanDuration((static_cast<double>(total - done) / per_second) * 1000) + " left";
    }
    if (terminal_) {
      const int width = 30, filled = percent * width / 100;
      Draw("  " + std::string(sync::ToString(progress->phase)) + " [" + std::string(filled, '#') +
           std::string(width - filled, ' ') + "] " + std::to_string(percent) + "% " + std::to_string(done) + "/" +
           std::to_string(total) + " files" + rate);
      return;
    }
    if (percent / 10 > last_decile_ || done == total) {
      last_decile_ = percent / 10;
      std::fprintf(stderr, "  %s: %lld/%lld files (%d%%)%s\n", sync::ToString(progress->phase),
                   static_cast<long long>(done), static_cast<long long>(total), percent, rate.c_str());
    }
  }

 private:
  void Draw(const std::string& line) {
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    std::fflush(stderr);
    drawn_ = true;
  }

  bool terminal_;
  std::mutex mutex_;
  int last_decile_ = -1;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point phase_started_ = std::chrono::steady_clock::now();
};

void WriteRun(JsonWriter& out, const sync::SyncResult& r) {
  const db::SyncRun& run = r.run;
  out.writer().StartObject();
  out.Str("project", r.project);
  if (run.id > 0) out.Int("run_id", run.id);
  else out.writer().Key("run_id"), out.writer().Null();
  out.Str("outcome", sync::ToString(r.outcome));
  views::WriteRunResultMembers(out, run);
  out.Num("total_ms", r.total_ms);
  out.StrOrNull("error", r.status.ok() ? std::string() : r.status.message());
  out.writer().EndObject();
}

void PrintRun(const sync::SyncResult& r) {
  const db::SyncRun& run = r.run;
  if (!r.status.ok()) {
    std::fprintf(stderr, "tether: error: %s: %s\n", r.project.c_str(), ShownMessage(r.status.message()).c_str());
    return;
  }
  if (r.mode == sync::SyncMode::kNoop) {
    std::printf("%s: up to date at %s (%s)\n", r.project.c_str(), run.to_commit.substr(0, 12).c_str(),
                HumanDuration(r.total_ms).c_str());
    return;
  }
  std::string range = run.from_commit.empty()
                          ? "at " + run.to_commit.substr(0, 12)
                          : run.from_commit.substr(0, 12) + ".." + run.to_commit.substr(0, 12);
  std::printf("%s: %s sync %s: %lld added, %lld modified, %lld deleted, %lld renamed", r.project.c_str(),
              sync::ToString(r.mode), range.c_str(), static_cast<long long>(run.counts.added),
              static_cast<long long>(run.counts.modified), static_cast<long long>(run.counts.deleted),
              static_cast<long long>(run.counts.renamed));
  if (run.counts.skipped > 0) std::printf(", %lld refused", static_cast<long long>(run.counts.skipped));
  if (run.counts.bytes_read > 0) std::printf(", %s read", HumanBytes(run.counts.bytes_read).c_str());
  std::printf(" in %s (run #%lld)\n", HumanDuration(r.total_ms).c_str(), static_cast<long long>(run.id));
}

// What a `sync --all` did, project by project (a project run twice, for a
// push during its run, counts by its last run).
struct Summary {
  int64_t synced = 0, up_to_date = 0, failed = 0, busy = 0, disabled = 0;
};

Summary Summarize(const std::vector<sync::SyncResult>& results, int64_t disabled) {
  Summary summary;
  summary.disabled = disabled;
  for (size_t i = 0; i < results.size(); ++i) {
    const sync::SyncResult& r = results[i];
    if (i + 1 < results.size() && results[i + 1].project == r.project && r.resync_requested) continue;
    if (r.outcome == sync::RunOutcome::kBusy) ++summary.busy;
    else if (!r.status.ok()) ++summary.failed;
    else if (r.mode == sync::SyncMode::kNoop) ++summary.up_to_date;
    else ++summary.synced;
  }
  return summary;
}

void PrintSummary(const Summary& s) {
  std::printf("%lld synced, %lld up to date, %lld failed, %lld busy, %lld skipped (disabled)\n",
              static_cast<long long>(s.synced), static_cast<long long>(s.up_to_date),
              static_cast<long long>(s.failed), static_cast<long long>(s.busy), static_cast<long long>(s.disabled));
}

}  // namespace

int RunSync(const Invocation& inv, const SyncOptions& options) {
  if (options.all == !options.projects.empty()) {
    return ReportError(inv, Status::InvalidArgument("name the projects to sync, or pass --all (not both)"));
  }
  Result<std::unique_ptr<app::Runtime>> runtime = LoadRuntime(inv);
  if (!runtime.ok()) return ReportError(inv, runtime.status());
  Result<db::Database*> db = (*runtime)->database();
  if (!db.ok()) return ReportError(inv, db.status());

  // (tenant, name) of each project to sync: --all takes every enabled
  // project the connection sees, of every tenant unless --tenant names one.
  Result<std::string> tenant = TenantOf(inv, *db);
  if (!tenant.ok()) return ReportError(inv, tenant.status());
  std::vector<std::pair<std::string, std::string>> names;
  // Every name is checked before any project syncs: a typo in the list
  // syncs nothing.
  std::vector<std::string> unknown;
  for (const std::string& name : options.projects) {
    Result<db::Project> found = db::ProjectStore(*db).Get(*tenant, name);
    if (found.ok()) {
      names.emplace_back(*tenant, name);
    } else if (found.status().code() == StatusCode::kNotFound) {
      unknown.push_back("\"" + name + "\"");
    } else {
      return ReportError(inv, found.status());
    }
  }
  if (!unknown.empty()) {
    std::string list;
    for (const std::string& name : unknown) list += (list.empty() ? "" : ", ") + name;
    return ReportError(inv, Status::NotFound(std::string(unknown.size() == 1 ? "no project called " : "no projects called ") + list +
                                        " in tenant \"" + *tenant + "\"; nothing was synced"));
  }
  int64_t disabled = 0;
  if (options.all) {
    Result<std::vector<db::Project>> projects = db::ProjectStore(*db).List();
    if (!projects.ok()) return ReportError(inv, projects.status());
    for (const db::Project& p : *projects) {
      if (!inv.tenant.empty() && p.tenant_id != *tenant) continue;
      if (p.sync_enabled) names.emplace_back(p.tenant_id, p.name);
      else ++disabled;
    }
  }

  ProgressReporter progress(!inv.json && isatty(STDERR_FILENO));
  std::unique_ptr<sync::SyncRunner> runner = (*runtime)->NewSyncRunner();
  runner->events().AddListener([&](const sync::Event& e) { progress.OnEvent(e); });

  std::vector<sync::SyncResult> results;
  for (const auto& [tenant, name] : names) {
    // A sync asked for during a run (a webhook push while this one held the
    // project) is run right after it, so that the push is not lost; this
    // goes on only while new requests come during each run.
    do {
      results.push_back(runner->Run(*db, tenant, name, options.trigger));
      if (!inv.json) PrintRun(results.back());
    } while (results.back().resync_requested);
  }
  Status flushed = runner->Flush();
  if (!flushed.ok()) std::fprintf(stderr, "tether: warning: %s\n", ShownMessage(flushed.message()).c_str());

  const Summary summary = Summarize(results, disabled);
  if (inv.json) {
    JsonWriter out;
    out.Begin().BeginArray("runs");
    for (const sync::SyncResult& r : results) WriteRun(out, r);
    out.EndArray();
    if (options.all) {
      out.BeginObject("summary").Int("synced", summary.synced).Int("up_to_date", summary.up_to_date)
          .Int("failed", summary.failed).Int("busy", summary.busy).Int("disabled", summary.disabled).End();
    }
    PrintJson(out.End());
  } else if (options.all) {
    PrintSummary(summary);
  }
  // A failed sync outweighs bad input, which outweighs a busy project.
  bool failed = false, usage = false, busy = false;
  for (const sync::SyncResult& r : results) {
    if (r.status.ok()) continue;
    StatusCode c = r.status.code();
    if (r.run.id != 0) failed = true;
    else if (c == StatusCode::kConflict) busy = true;
    else if (c == StatusCode::kNotFound || c == StatusCode::kInvalidArgument) usage = true;
    else failed = true;
  }
  int code = failed ? kExitFailed : usage ? kExitUsage : busy ? kExitBusy : kExitOk;
  return code;
}

}  // namespace tether::cli

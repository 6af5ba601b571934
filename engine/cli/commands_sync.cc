// tether sync: runs each named project (or --all) through the sync runner
// and reports each run; a progress bar on a terminal, plain lines otherwise.
// SIGINT (Ctrl-C) or SIGTERM cancels the run in progress (it rolls back and
// is recorded "cancelled", its lease released) and syncs nothing more; a
// second one ends the process at once. `tether sync --cancel NAME` asks the
// run holding NAME, in whatever process, to stop.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>
#include <vector>

#include "engine/views/json_views.h"
#include "engine/cli/cli.h"
#include "engine/cli/display.h"
#include "engine/common/human_units.h"
#include "engine/common/json_writer.h"
#include "engine/db/project_store.h"
#include "engine/db/run_store.h"
#include "engine/sync/cancellation.h"
#include "engine/sync/sync_runner.h"

namespace tether::cli {
namespace {

// The invocation's cancel token, set by the first SIGINT or SIGTERM. Both
// are constant-initialized: the handler may run at any time.
sync::CancelToken g_cancel;
std::atomic<int> g_stop_signals{0};

extern "C" void OnStopSignal(int signal_number) {
  if (g_stop_signals.fetch_add(1) > 0) {
    // A second signal while cancelling: the default action, at once (the
    // run's lease is taken over by the project's next run, as after a
    // crash).
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    sigemptyset(&default_action.sa_mask);
    sigaction(signal_number, &default_action, nullptr);
    raise(signal_number);
    return;
  }
  g_cancel.Cancel(signal_number == SIGTERM ? sync::CancelReason::kTerminate : sync::CancelReason::kInterrupt);
  static const char kMessage[] =
      "\ntether: stopping: the sync rolls back and is recorded as cancelled (a second signal kills it at once)\n";
  ssize_t written = write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
  (void)written;  // nothing to do about a closed stderr in a signal handler
}

}  // namespace

const sync::CancelToken& StopToken() { return g_cancel; }

void CatchStopSignals() {
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // system calls go on; the run checks the token
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

namespace {

// How long the event log's writer gathers events before it writes them: well
// under the event stream's poll of other processes' events (1 s), so a
// server following this sync sees no difference.
constexpr std::chrono::milliseconds kEventBatchDelay{200};

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
    if (progress == nullptr) return;
    if (progress->total <= 0) {
      // A phase that cannot know its total (the diff): how far it got.
      if (progress->done <= 0) return;
      const std::string line = "  " + std::string(sync::ToString(progress->phase)) + ": " +
                               std::to_string(progress->done) + " files so far";
      if (terminal_) {
        Draw(line);
      } else if (!last_count_line_ || std::chrono::steady_clock::now() - *last_count_line_ >= std::chrono::seconds(2)) {
        last_count_line_ = std::chrono::steady_clock::now();
        std::fprintf(stderr, "%s\n", line.c_str());
      }
      return;
    }
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
  // When a log last got a line of a phase without a total.
  std::optional<std::chrono::steady_clock::time_point> last_count_line_;
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

}  // namespace

void PrintAnalysis(const std::vector<db::AnalyzerTally>& tallies) {
  for (const db::AnalyzerTally& t : tallies) {
    if (!t.error.empty() && t.analyzed + t.failed + t.skipped == 0 && t.step_written == 0) {
      std::fprintf(stderr, "tether: warning: analyzer %s: %s\n", t.analyzer.c_str(), ShownMessage(t.error).c_str());
      continue;
    }
    if (t.has_step && t.step_written + t.step_removed > 0) {
      std::printf("  %s: %lld changed files, %lld outputs written, %lld removed\n", t.analyzer.c_str(),
                  static_cast<long long>(t.step_changed), static_cast<long long>(t.step_written),
                  static_cast<long long>(t.step_removed));
    }
    if (t.analyzed + t.reused + t.failed + t.skipped == 0) continue;
    std::printf("  %s: %lld analyzed, %lld reused, %lld failed, %lld skipped\n", t.analyzer.c_str(),
                static_cast<long long>(t.analyzed), static_cast<long long>(t.reused),
                static_cast<long long>(t.failed), static_cast<long long>(t.skipped));
    if (!t.error.empty()) {
      std::fprintf(stderr, "tether: warning: analyzer %s stopped: %s\n", t.analyzer.c_str(),
                   ShownMessage(t.error).c_str());
    }
  }
}

namespace {

void PrintRun(const sync::SyncResult& r) {
  const db::SyncRun& run = r.run;
  if (r.outcome == sync::RunOutcome::kCancelled) {
    std::fprintf(stderr, "tether: %s: %s (run #%lld)\n", r.project.c_str(), ShownMessage(run.error).c_str(),
                 static_cast<long long>(run.id));
    return;
  }
  if (!r.status.ok()) {
    std::fprintf(stderr, "tether: error: %s: %s\n", r.project.c_str(), ShownMessage(r.status.message()).c_str());
    return;
  }
  if (r.mode == sync::SyncMode::kNoop) {
    std::printf("%s: up to date at %s (%s)\n", r.project.c_str(), run.to_commit.substr(0, 12).c_str(),
                HumanDuration(r.total_ms).c_str());
    PrintAnalysis(run.analysis);
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
  PrintAnalysis(run.analysis);
}

// What a `sync --all` did, project by project (a project run twice, for a
// push during its run, counts by its last run).
struct Summary {
  int64_t synced = 0, up_to_date = 0, failed = 0, busy = 0, disabled = 0, cancelled = 0;
};

Summary Summarize(const std::vector<sync::SyncResult>& results, int64_t disabled) {
  Summary summary;
  summary.disabled = disabled;
  for (size_t i = 0; i < results.size(); ++i) {
    const sync::SyncResult& r = results[i];
    if (i + 1 < results.size() && results[i + 1].project == r.project && r.resync_requested) continue;
    if (r.outcome == sync::RunOutcome::kBusy) ++summary.busy;
    else if (r.outcome == sync::RunOutcome::kCancelled) ++summary.cancelled;
    else if (!r.status.ok()) ++summary.failed;
    else if (r.mode == sync::SyncMode::kNoop) ++summary.up_to_date;
    else ++summary.synced;
  }
  return summary;
}

void PrintSummary(const Summary& s) {
  std::printf("%lld synced, %lld up to date, %lld failed, %lld busy, %lld skipped (disabled)",
              static_cast<long long>(s.synced), static_cast<long long>(s.up_to_date),
              static_cast<long long>(s.failed), static_cast<long long>(s.busy), static_cast<long long>(s.disabled));
  if (s.cancelled > 0) std::printf(", %lld cancelled", static_cast<long long>(s.cancelled));
  std::printf("\n");
}

// How long `sync --cancel` waits for the run to stop.
constexpr std::chrono::seconds kCancelWait{60};

// tether sync --cancel NAME...: asks the run holding each project to stop
// (RequestCancel: through the database, so it reaches a run of any process)
// and waits until the run has ended. 0 when every one ended cancelled; 1
// when one had nothing running, ended otherwise first, or did not stop in
// time; 2 for an unknown project.
int CancelSyncs(const Invocation& inv, db::Database* db, const std::string& tenant,
                const std::vector<std::string>& names) {
  struct Cancel {
    std::string project;
    int64_t run_id = 0;
    bool requested = false;
    std::string outcome;  // the run's outcome at the end ("" when there was no run)
    std::string message;
  };
  // Every name is checked before any run is asked to stop.
  std::vector<db::Project> projects;
  for (const std::string& name : names) {
    Result<db::Project> project = db::ProjectStore(db).Get(tenant, name);
    if (!project.ok()) return ReportError(inv, project.status());
    projects.push_back(std::move(project).value());
  }
  std::vector<Cancel> cancels;
  for (const db::Project& project : projects) {
    const std::string& name = project.name;
    Cancel c;
    c.project = name;
    Result<db::SyncRun> running = db::RunStore(db).NewestRunning(project.id);
    if (!running.ok() && running.status().code() != StatusCode::kNotFound) return ReportError(inv, running.status());
    if (!running.ok()) {
      c.message = "no sync of project \"" + name + "\" is running; nothing to cancel";
      cancels.push_back(c);
      continue;
    }
    c.run_id = running->id;
    Result<sync::CancelAnswer> answer = sync::RequestCancel(db, project, c.run_id);
    if (!answer.ok()) return ReportError(inv, answer.status());
    c.requested = answer->requested;
    c.outcome = answer->requested ? std::string(sync::ToString(sync::RunOutcome::kRunning)) : answer->outcome;
    c.message = answer->detail;
    cancels.push_back(c);
  }
  // Every request is made before waiting for any.
  const auto deadline = std::chrono::steady_clock::now() + kCancelWait;
  for (Cancel& c : cancels) {
    if (!c.requested) continue;
    while (true) {
      Result<db::SyncRun> run = db::RunStore(db).Get(c.run_id);
      if (!run.ok()) return ReportError(inv, run.status());
      c.outcome = run->outcome;
      if (sync::ParseRunOutcome(c.outcome) != sync::RunOutcome::kRunning) break;
      if (std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const std::string run = "run " + std::to_string(c.run_id) + " of " + c.project;
    switch (sync::ParseRunOutcome(c.outcome).value_or(sync::RunOutcome::kFailed)) {
      case sync::RunOutcome::kCancelled: c.message = run + " cancelled; nothing of it was written"; break;
      case sync::RunOutcome::kRunning:
        c.message = run + " was asked to stop but is still running after " + std::to_string(kCancelWait.count()) +
                    " s (it stops at its next check; a provider call in progress finishes first)";
        break;
      default: c.message = run + " ended " + c.outcome + " before it could stop"; break;
    }
  }
  bool all_cancelled = true;
  for (const Cancel& c : cancels) {
    all_cancelled = all_cancelled && sync::ParseRunOutcome(c.outcome) == sync::RunOutcome::kCancelled;
  }
  if (inv.json) {
    JsonWriter out;
    out.Begin().BeginArray("cancels");
    for (const Cancel& c : cancels) {
      out.writer().StartObject();
      out.Str("project", c.project);
      if (c.run_id > 0) out.Int("run_id", c.run_id);
      else out.writer().Key("run_id"), out.writer().Null();
      out.Bool("requested", c.requested).StrOrNull("outcome", c.outcome).Str("message", c.message);
      out.writer().EndObject();
    }
    out.EndArray();
    PrintJson(out.End());
  } else {
    for (const Cancel& c : cancels) {
      const bool cancelled = sync::ParseRunOutcome(c.outcome) == sync::RunOutcome::kCancelled;
      std::fprintf(cancelled ? stdout : stderr, "%s%s\n", cancelled ? "" : "tether: ", ShownMessage(c.message).c_str());
    }
  }
  return all_cancelled ? kExitOk : kExitFailed;
}

}  // namespace

int RunSync(const Invocation& inv, const SyncOptions& options) {
  if (options.cancel && (options.all || options.projects.empty())) {
    return ReportError(inv, Status::InvalidArgument(
                                "name the projects whose running syncs to cancel (sync --cancel NAME...)"));
  }
  if (options.all == !options.projects.empty()) {
    return ReportError(inv, Status::InvalidArgument("name the projects to sync, or pass --all (not both)"));
  }
  // From here on a first SIGINT or SIGTERM cancels instead of killing.
  if (!options.cancel) CatchStopSignals();
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
  if (options.cancel) return CancelSyncs(inv, *db, *tenant, options.projects);
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

  const size_t jobs = std::min(static_cast<size_t>(std::max(1, options.jobs)), std::max<size_t>(names.size(), 1));
  // One progress line only makes sense for one run at a time.
  ProgressReporter progress(!inv.json && jobs == 1 && isatty(STDERR_FILENO));
  std::unique_ptr<sync::SyncRunner> runner = (*runtime)->NewSyncRunner(!options.no_analyze, options.full);
  // Events are written in batches of kEventBatchDelay, and those of a run
  // shorter than that at the end, on this connection (EventLog): a no-op
  // sync opens no connection for them and its transactions never wait for
  // theirs.
  runner->events().SetBatchDelay(kEventBatchDelay);
  runner->events().AddListener([&](const sync::Event& e) { progress.OnEvent(e); });

  // Each project's runs, in the order the projects were named.
  std::vector<std::vector<sync::SyncResult>> per_project(names.size());
  std::atomic<size_t> next{0}, not_started_count{0};
  std::mutex print_mutex;
  auto work = [&](db::Database* conn) {
    for (size_t i = next++; i < names.size(); i = next++) {
      // After a signal nothing more starts.
      if (g_cancel.cancelled()) {
        ++not_started_count;
        continue;
      }
      const auto& [project_tenant, name] = names[i];
      // A sync asked for during a run (a webhook push while this one held
      // the project) is run right after it, so that the push is not lost;
      // this goes on only while new requests come during each run.
      do {
        per_project[i].push_back(runner->Run(conn, project_tenant, name, options.trigger, &g_cancel));
        if (!inv.json) {
          std::lock_guard<std::mutex> lock(print_mutex);
          PrintRun(per_project[i].back());
        }
      } while (per_project[i].back().resync_requested && !g_cancel.cancelled());
    }
  };
  if (jobs == 1) {
    work(*db);
  } else {
    // Every job on a connection of its own, opened before any starts.
    std::vector<std::unique_ptr<db::Database>> connections;
    for (size_t j = 0; j < jobs; ++j) {
      Result<std::unique_ptr<db::Database>> opened = db::Database::Open((*runtime)->config().database_url);
      if (!opened.ok()) return ReportError(inv, opened.status().WithContext("opening a connection for -j"));
      connections.push_back(std::move(opened).value());
    }
    std::vector<std::thread> threads;
    for (auto& connection : connections) threads.emplace_back(work, connection.get());
    for (std::thread& t : threads) t.join();
  }
  std::vector<sync::SyncResult> results;
  for (std::vector<sync::SyncResult>& runs : per_project) {
    for (sync::SyncResult& r : runs) results.push_back(std::move(r));
  }
  const size_t not_started = not_started_count;
  if (not_started > 0 && !inv.json) {
    std::fprintf(stderr, "tether: stopped %s: %zu project(s) not synced\n",
                 sync::DescribeCancelReason(g_cancel.reason()), not_started);
  }
  Status flushed = runner->Flush(*db);
  if (!flushed.ok()) std::fprintf(stderr, "tether: warning: %s\n", ShownMessage(flushed.message()).c_str());

  const Summary summary = Summarize(results, disabled);
  if (inv.json) {
    JsonWriter out;
    out.Begin().BeginArray("runs");
    for (const sync::SyncResult& r : results) WriteRun(out, r);
    out.EndArray();
    if (options.all) {
      out.BeginObject("summary").Int("synced", summary.synced).Int("up_to_date", summary.up_to_date)
          .Int("failed", summary.failed).Int("busy", summary.busy).Int("disabled", summary.disabled)
          .Int("cancelled", summary.cancelled).Int("not_started", static_cast<int64_t>(not_started)).End();
    }
    PrintJson(out.End());
  } else if (options.all) {
    PrintSummary(summary);
  }
  // A signal says how the invocation ended, whatever it cut short.
  if (g_cancel.cancelled()) {
    return g_cancel.reason() == sync::CancelReason::kTerminate ? kExitTerminated : kExitCancelled;
  }
  // A failed sync outweighs a cancelled one (by a request from elsewhere),
  // which outweighs bad input, which outweighs a busy project.
  bool failed = false, cancelled = false, usage = false, busy = false;
  for (const sync::SyncResult& r : results) {
    if (r.outcome == sync::RunOutcome::kCancelled) {
      cancelled = true;
      continue;
    }
    if (r.status.ok()) continue;
    StatusCode c = r.status.code();
    if (r.run.id != 0) failed = true;
    else if (c == StatusCode::kConflict) busy = true;
    else if (c == StatusCode::kNotFound || c == StatusCode::kInvalidArgument) usage = true;
    else failed = true;
  }
  int code = failed ? kExitFailed : cancelled ? kExitCancelled : usage ? kExitUsage : busy ? kExitBusy : kExitOk;
  return code;
}

}  // namespace tether::cli

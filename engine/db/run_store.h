// RunStore: the sync_runs table, one row per sync attempt with its outcome,
// counts and the duration of each phase.
//
// Thread safety: none; one RunStore per Database, used by one thread.
// Errors: NotFound for an unknown run; Unavailable/Internal for database
// failures.
#ifndef TETHER_ENGINE_DB_RUN_STORE_H_
#define TETHER_ENGINE_DB_RUN_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/db/database.h"
#include "tether/status.h"

namespace tether::db {

struct RunCounts {
  int64_t added = 0;
  int64_t modified = 0;
  int64_t deleted = 0;
  int64_t renamed = 0;
  int64_t skipped = 0;     // paths refused (not valid UTF-8, unsafe)
  int64_t bytes_read = 0;  // blob bytes read from the provider
};

// Milliseconds per phase; -1 for a phase that did not run.
struct PhaseTimings {
  double discover_ms = -1;
  double resolve_ms = -1;
  double diff_ms = -1;
  double write_ms = -1;
  double analyze_ms = -1;
  double finalize_ms = -1;
};

// What the analyze phase did with one analyzer in a run: blobs it analysed,
// blobs the run wrote whose results were already there (reused), blobs it
// failed on, and blobs skipped by a rule or as poison. `error` says why the
// analyzer stopped early (its results could not be stored); "" otherwise.
struct AnalyzerTally {
  std::string analyzer;
  int64_t analyzed = 0;
  int64_t reused = 0;
  int64_t failed = 0;
  int64_t skipped = 0;
  std::string error;
  // The analyzer's key when it ran, and whether the run left nothing to do
  // for it (every current blob with a final result, no failure to retry):
  // a noop run after one that left nothing for every analyzer's current
  // key has nothing to look for.
  std::string version;
  std::string settings_hash;
  bool complete = false;
  // An analyzer with a repository step (repository_step.h): what its step
  // did this run (files it was given as changed, outputs put and removed).
  bool has_step = false;
  int64_t step_changed = 0;
  int64_t step_written = 0;
  int64_t step_removed = 0;
};

// The tallies as the run record keeps them (sync_runs.analysis) and the
// API shows them: {"code": {"analyzed": 1, "reused": 0, "failed": 0,
// "skipped": 0, "version": "1.1.0", "settings_hash": "", "complete": true}},
// with "error" only when set; "" for none.
std::string AnalysisTalliesJson(const std::vector<AnalyzerTally>& tallies);
// The reverse; tallies it cannot read are left out.
std::vector<AnalyzerTally> ParseAnalysisTallies(const std::string& json);

struct SyncRun {
  int64_t id = 0;
  int64_t project_id = 0;
  std::string trigger;      // cli, schedule, api, webhook
  std::string worker;       // the worker process that ran it (WorkerStore); empty when none
  std::string started_at;
  std::string finished_at;
  std::string outcome;      // running, succeeded, noop, failed, interrupted, cancelled
  std::string mode;         // full, incremental, force_push, branch_switch, noop
  std::string branch;
  std::string from_commit;
  std::string to_commit;
  RunCounts counts;
  PhaseTimings timings;
  std::string error;
  std::vector<AnalyzerTally> analysis;  // one per analyzer that ran, in config order

  // The engine's time on the run: the phases that ran, added up; -1 when
  // none did.
  double DurationMs() const {
    double total = -1;
    for (double ms : {timings.discover_ms, timings.resolve_ms, timings.diff_ms, timings.write_ms,
                      timings.analyze_ms, timings.finalize_ms}) {
      if (ms >= 0) total = (total < 0 ? 0 : total) + ms;
    }
    return total;
  }
};

class RunStore {
 public:
  explicit RunStore(Database* db) : db_(db) {}

  // Inserts a run in state "running", by the worker process `worker` (may
  // be empty), and returns its id.
  Result<int64_t> Begin(int64_t project_id, const std::string& trigger, const std::string& branch,
                        const std::string& worker = "");
  // Writes the final state of `run` (matched by run.id), if it is still
  // "running": a run another one already ended (interrupted, after taking
  // its lease over) keeps that record.
  Status Finish(const SyncRun& run);
  // Records, before a run writes, the mode, commits and counts of the write
  // it is about to do (the run stays "running").
  Status RecordPlan(const SyncRun& run);

  // Ends the runs of the project still "running" (except `except_run_id`),
  // whose process died; called by whoever holds the project's lease now. A
  // run whose planned to_commit is `stored_cursor` (the project's cursor as
  // its storage holds it now) committed its write before its process died:
  // it is recorded "succeeded" with its planned counts. Every other one is
  // "interrupted" (all of them when `stored_cursor` is empty).
  struct Ended {
    int64_t interrupted = 0;
    int64_t recovered = 0;  // recorded as succeeded
  };
  Result<Ended> MarkInterrupted(int64_t project_id, int64_t except_run_id, const std::string& stored_cursor);
  // The newest `limit` runs of a project, newest first.
  Result<std::vector<SyncRun>> List(int64_t project_id, int limit);
  // One run by id; NotFound when there is none.
  Result<SyncRun> Get(int64_t run_id);
  // How many runs of any project succeeded after `iso8601_time`.
  Result<int64_t> CountSucceededSince(const std::string& iso8601_time);
  // The newest run of the project that is still "running"; NotFound when
  // there is none.
  Result<SyncRun> NewestRunning(int64_t project_id);

  // Cancel requests (engine/sync/cancellation.h): asked by any process, seen
  // by the run itself wherever it runs. On PostgreSQL a request is the run's
  // sync_runs.cancel_requested_at, which stays as a record. On SQLite a
  // run's write transaction holds the database's only write lock for as
  // long as the write lasts, so a request written to a table would wait for
  // the very write it is meant to stop: there a request is a file beside the
  // database, "<database file>-cancel-<run id>", holding the run's
  // started_at (a file left by an older database of the same path never
  // matches a new run), removed when the run ends.
  //
  // Asks run `run_id` to stop: false, asking nothing, when it is not
  // "running".
  Result<bool> RequestCancel(int64_t run_id);
  // Whether run `run_id` was asked to stop.
  Result<bool> CancelRequested(int64_t run_id);
  // Removes what RequestCancel left for a run that has ended (SQLite's file;
  // nothing on PostgreSQL). Never fails: a file that cannot be removed is
  // harmless, since it names a run that has ended.
  void ForgetCancelRequest(int64_t run_id);

 private:
  Database* db_;
};

}  // namespace tether::db

#endif  // TETHER_ENGINE_DB_RUN_STORE_H_

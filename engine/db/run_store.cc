#include "engine/db/run_store.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <rapidjson/document.h>
#include <soci/soci.h>

#include "engine/common/json_writer.h"
#include "shared/clock.h"
#include "shared/row_values.h"

namespace tether::db {
namespace {

long long Ms(double ms) { return static_cast<long long>(std::llround(ms)); }
soci::indicator Ind(double ms) { return ms < 0 ? soci::i_null : soci::i_ok; }
soci::indicator Ind(const std::string& s) { return s.empty() ? soci::i_null : soci::i_ok; }

const char kSelectRuns[] =
    "SELECT id, project_id, trigger, started_at, finished_at, outcome, mode, branch,"
    " from_commit, to_commit, files_added, files_modified, files_deleted, files_renamed,"
    " files_skipped, bytes_read, discover_ms, resolve_ms, diff_ms, write_ms, analyze_ms,"
    " finalize_ms, error, analysis, worker FROM sync_runs";

// One row of kSelectRuns.
SyncRun RunFromRow(const soci::row& row) {
  SyncRun r;
  r.id = RowInt(row, 0);
  r.project_id = RowInt(row, 1);
  r.trigger = RowText(row, 2);
  r.started_at = RowText(row, 3);
  r.finished_at = RowText(row, 4);
  r.outcome = RowText(row, 5);
  r.mode = RowText(row, 6);
  r.branch = RowText(row, 7);
  r.from_commit = RowText(row, 8);
  r.to_commit = RowText(row, 9);
  r.counts.added = RowInt(row, 10);
  r.counts.modified = RowInt(row, 11);
  r.counts.deleted = RowInt(row, 12);
  r.counts.renamed = RowInt(row, 13);
  r.counts.skipped = RowInt(row, 14);
  r.counts.bytes_read = RowInt(row, 15);
  r.timings.discover_ms = RowDouble(row, 16, -1);
  r.timings.resolve_ms = RowDouble(row, 17, -1);
  r.timings.diff_ms = RowDouble(row, 18, -1);
  r.timings.write_ms = RowDouble(row, 19, -1);
  r.timings.analyze_ms = RowDouble(row, 20, -1);
  r.timings.finalize_ms = RowDouble(row, 21, -1);
  r.error = RowText(row, 22);
  r.analysis = ParseAnalysisTallies(RowText(row, 23));
  r.worker = RowText(row, 24);
  return r;
}

// SQLite: the file that is a cancel request for run `run_id`, beside the
// database file (symlinks resolved, so that every process names the same
// file).
Result<std::filesystem::path> CancelRequestFile(const Database& db, int64_t run_id) {
  namespace fs = std::filesystem;
  const std::string& url = db.url();
  const std::string file = url.substr(url.find(':') + 1);
  if (file.empty() || file == ":memory:") {
    return Status::InvalidArgument("a database in memory takes no cancel requests from other connections");
  }
  std::error_code ec;
  fs::path path = fs::weakly_canonical(fs::path(file), ec);
  if (ec) path = fs::absolute(fs::path(file));
  return fs::path(path.string() + "-cancel-" + std::to_string(run_id));
}

}  // namespace

std::string AnalysisTalliesJson(const std::vector<AnalyzerTally>& tallies) {
  if (tallies.empty()) return "";
  CompactJsonWriter json;
  json.Begin();
  for (const AnalyzerTally& t : tallies) {
    json.BeginObject(t.analyzer.c_str())
        .Int("analyzed", t.analyzed)
        .Int("reused", t.reused)
        .Int("failed", t.failed)
        .Int("skipped", t.skipped)
        .Str("version", t.version)
        .Str("settings_hash", t.settings_hash)
        .Bool("complete", t.complete);
    if (t.has_step) {
      json.BeginObject("repository")
          .Int("changed", t.step_changed)
          .Int("written", t.step_written)
          .Int("removed", t.step_removed)
          .End();
    }
    if (!t.error.empty()) json.Str("error", t.error);
    json.End();
  }
  json.End();
  return json.Text();
}

std::vector<AnalyzerTally> ParseAnalysisTallies(const std::string& text) {
  std::vector<AnalyzerTally> tallies;
  if (text.empty()) return tallies;
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) return tallies;
  auto count = [](const rapidjson::Value& v, const char* key) -> int64_t {
    auto it = v.FindMember(key);
    return it != v.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : 0;
  };
  for (auto& m : doc.GetObject()) {
    if (!m.value.IsObject()) continue;
    AnalyzerTally t;
    t.analyzer.assign(m.name.GetString(), m.name.GetStringLength());
    t.analyzed = count(m.value, "analyzed");
    t.reused = count(m.value, "reused");
    t.failed = count(m.value, "failed");
    t.skipped = count(m.value, "skipped");
    auto text = [&](const char* key) -> std::string {
      auto it = m.value.FindMember(key);
      return it != m.value.MemberEnd() && it->value.IsString() ? it->value.GetString() : std::string();
    };
    t.error = text("error");
    t.version = text("version");
    t.settings_hash = text("settings_hash");
    auto complete = m.value.FindMember("complete");
    t.complete = complete != m.value.MemberEnd() && complete->value.IsBool() && complete->value.GetBool();
    auto step = m.value.FindMember("repository");
    if (step != m.value.MemberEnd() && step->value.IsObject()) {
      t.has_step = true;
      t.step_changed = count(step->value, "changed");
      t.step_written = count(step->value, "written");
      t.step_removed = count(step->value, "removed");
    }
    tallies.push_back(std::move(t));
  }
  return tallies;
}

Result<int64_t> RunStore::Begin(int64_t project_id, const std::string& trigger, const std::string& branch,
                                const std::string& worker) {
  long long id = 0, pid = project_id;
  std::string now = NowIso8601();
  std::string by = worker;
  soci::indicator by_ind = worker.empty() ? soci::i_null : soci::i_ok;
  try {
    db_->session() << "INSERT INTO sync_runs (project_id, trigger, started_at, outcome, branch, worker)"
                      " VALUES (:p, :t, :s, 'running', :b, :w) RETURNING id",
        soci::use(pid), soci::use(trigger), soci::use(now), soci::use(branch), soci::use(by, by_ind), soci::into(id);
  } catch (...) {
    return StatusFromCurrentException("cannot record the run");
  }
  return static_cast<int64_t>(id);
}

Status RunStore::Finish(const SyncRun& run) {
  long long id = run.id;
  std::string now = NowIso8601();
  long long added = run.counts.added, modified = run.counts.modified, deleted = run.counts.deleted,
            renamed = run.counts.renamed, skipped = run.counts.skipped, bytes = run.counts.bytes_read;
  const PhaseTimings& t = run.timings;
  long long discover = Ms(t.discover_ms), resolve = Ms(t.resolve_ms), diff = Ms(t.diff_ms),
            write = Ms(t.write_ms), analyze = Ms(t.analyze_ms), finalize = Ms(t.finalize_ms);
  // SOCI binds indicators by reference: they need names.
  std::string mode = run.mode, from = run.from_commit, to = run.to_commit, error = run.error;
  soci::indicator mode_i = Ind(mode), from_i = Ind(from), to_i = Ind(to), error_i = Ind(error);
  soci::indicator discover_i = Ind(t.discover_ms), resolve_i = Ind(t.resolve_ms), diff_i = Ind(t.diff_ms),
                  write_i = Ind(t.write_ms), analyze_i = Ind(t.analyze_ms), finalize_i = Ind(t.finalize_ms);
  std::string outcome = run.outcome;
  std::string analysis = AnalysisTalliesJson(run.analysis);
  soci::indicator analysis_i = Ind(analysis);
  try {
    db_->session() << "UPDATE sync_runs SET finished_at = :f, outcome = :o, mode = :m, from_commit = :fc,"
                      " to_commit = :tc, files_added = :a, files_modified = :mo, files_deleted = :d,"
                      " files_renamed = :r, files_skipped = :sk, bytes_read = :by, discover_ms = :t1,"
                      " resolve_ms = :t2, diff_ms = :t3, write_ms = :t4, analyze_ms = :t5,"
                      " finalize_ms = :t6, error = :e, analysis = :an WHERE id = :id AND outcome = 'running'",
        soci::use(now), soci::use(outcome), soci::use(mode, mode_i), soci::use(from, from_i),
        soci::use(to, to_i), soci::use(added), soci::use(modified), soci::use(deleted), soci::use(renamed),
        soci::use(skipped), soci::use(bytes), soci::use(discover, discover_i), soci::use(resolve, resolve_i),
        soci::use(diff, diff_i), soci::use(write, write_i), soci::use(analyze, analyze_i),
        soci::use(finalize, finalize_i), soci::use(error, error_i), soci::use(analysis, analysis_i), soci::use(id);
  } catch (...) {
    return StatusFromCurrentException("cannot record the run's result");
  }
  return Status::Ok();
}

Status RunStore::RecordPlan(const SyncRun& run) {
  long long id = run.id;
  long long added = run.counts.added, modified = run.counts.modified, deleted = run.counts.deleted,
            renamed = run.counts.renamed, skipped = run.counts.skipped;
  std::string mode = run.mode, from = run.from_commit, to = run.to_commit;
  soci::indicator from_i = Ind(from);
  try {
    db_->session() << "UPDATE sync_runs SET mode = :m, from_commit = :fc, to_commit = :tc, files_added = :a,"
                      " files_modified = :mo, files_deleted = :d, files_renamed = :r, files_skipped = :sk"
                      " WHERE id = :id AND outcome = 'running'",
        soci::use(mode), soci::use(from, from_i), soci::use(to), soci::use(added), soci::use(modified),
        soci::use(deleted), soci::use(renamed), soci::use(skipped), soci::use(id);
  } catch (...) {
    return StatusFromCurrentException("cannot record the run's plan");
  }
  return Status::Ok();
}

Result<RunStore::Ended> RunStore::MarkInterrupted(int64_t project_id, int64_t except_run_id,
                                                  const std::string& stored_cursor) {
  long long pid = project_id, rid = except_run_id;
  std::string cursor = stored_cursor.empty() ? std::string("(none)") : stored_cursor;
  std::string now = NowIso8601();
  Ended ended;
  try {
    soci::statement recovered =
        (db_->session().prepare
             << "UPDATE sync_runs SET outcome = 'succeeded', finished_at = :f,"
                " error = 'its process stopped after the write committed; recorded from the commit it wrote'"
                " WHERE project_id = :p AND outcome = 'running' AND id <> :r AND to_commit IS NOT NULL"
                " AND to_commit = :c",
         soci::use(now), soci::use(pid), soci::use(rid), soci::use(cursor));
    recovered.execute(true);
    ended.recovered = recovered.get_affected_rows();
    soci::statement interrupted =
        (db_->session().prepare << "UPDATE sync_runs SET outcome = 'interrupted', finished_at = :f,"
                                   " error = 'the process running it stopped before it finished'"
                                   " WHERE project_id = :p AND outcome = 'running' AND id <> :r",
         soci::use(now), soci::use(pid), soci::use(rid));
    interrupted.execute(true);
    ended.interrupted = interrupted.get_affected_rows();
  } catch (...) {
    return StatusFromCurrentException("cannot mark interrupted runs");
  }
  return ended;
}

Result<std::vector<SyncRun>> RunStore::List(int64_t project_id, int limit) {
  std::vector<SyncRun> runs;
  long long pid = project_id, lim = limit;
  try {
    soci::rowset<soci::row> rows =
        (db_->session().prepare << std::string(kSelectRuns) + " WHERE project_id = :p ORDER BY id DESC LIMIT :l",
         soci::use(pid), soci::use(lim));
    for (const soci::row& row : rows) runs.push_back(RunFromRow(row));
  } catch (...) {
    return StatusFromCurrentException("cannot read runs");
  }
  return runs;
}

Result<SyncRun> RunStore::Get(int64_t run_id) {
  long long id = run_id;
  try {
    soci::rowset<soci::row> rows =
        (db_->session().prepare << std::string(kSelectRuns) + " WHERE id = :id", soci::use(id));
    for (const soci::row& row : rows) return RunFromRow(row);
  } catch (...) {
    return StatusFromCurrentException("cannot read run " + std::to_string(run_id));
  }
  return Status::NotFound("no run with id " + std::to_string(run_id));
}

Result<int64_t> RunStore::CountSucceededSince(const std::string& iso8601_time) {
  try {
    long long runs = 0;
    db_->session() << "SELECT COUNT(*) FROM sync_runs WHERE outcome = 'succeeded' AND finished_at > :t",
        soci::use(iso8601_time), soci::into(runs);
    return static_cast<int64_t>(runs);
  } catch (...) {
    return StatusFromCurrentException("cannot read sync_runs");
  }
}

Result<SyncRun> RunStore::NewestRunning(int64_t project_id) {
  long long pid = project_id;
  try {
    soci::rowset<soci::row> rows =
        (db_->session().prepare << std::string(kSelectRuns) +
                                       " WHERE project_id = :p AND outcome = 'running' ORDER BY id DESC LIMIT 1",
         soci::use(pid));
    for (const soci::row& row : rows) return RunFromRow(row);
  } catch (...) {
    return StatusFromCurrentException("cannot read runs");
  }
  return Status::NotFound("no run of the project is running");
}

Result<bool> RunStore::RequestCancel(int64_t run_id) {
  long long id = run_id;
  if (db_->dialect() == Dialect::kPostgres) {
    std::string now = NowIso8601();
    try {
      soci::statement st =
          (db_->session().prepare << "UPDATE sync_runs SET cancel_requested_at = COALESCE(cancel_requested_at, :t)"
                                     " WHERE id = :id AND outcome = 'running'",
           soci::use(now), soci::use(id));
      st.execute(true);
      return st.get_affected_rows() == 1;
    } catch (...) {
      return StatusFromCurrentException("cannot ask run " + std::to_string(run_id) + " to stop");
    }
  }
  // SQLite: no write to the database (see the header).
  Result<SyncRun> run = Get(run_id);
  if (!run.ok()) return run.status().code() == StatusCode::kNotFound ? Result<bool>(false) : run.status();
  if (run->outcome != "running") return false;
  Result<std::filesystem::path> file = CancelRequestFile(*db_, run_id);
  if (!file.ok()) return file.status();
  // Written whole under another name, then renamed: a reader sees the whole
  // file or none.
  const std::filesystem::path part = file->string() + ".part-" + std::to_string(::getpid());
  {
    std::ofstream out(part, std::ios::trunc);
    out << run->started_at;
    out.close();
    if (!out) {
      return Status::Unavailable("cannot ask run " + std::to_string(run_id) + " to stop: cannot write " +
                                 part.string());
    }
  }
  std::error_code ec;
  std::filesystem::rename(part, *file, ec);
  if (ec) {
    std::filesystem::remove(part, ec);
    return Status::Unavailable("cannot ask run " + std::to_string(run_id) + " to stop: cannot write " +
                               file->string());
  }
  // The run may have ended meanwhile: then nothing was asked.
  Result<SyncRun> now = Get(run_id);
  if (now.ok() && now->outcome == "running") return true;
  ForgetCancelRequest(run_id);
  if (!now.ok()) return now.status();
  return false;
}

Result<bool> RunStore::CancelRequested(int64_t run_id) {
  long long id = run_id;
  if (db_->dialect() == Dialect::kPostgres) {
    try {
      long long asked = 0;
      db_->session() << "SELECT COUNT(*) FROM sync_runs WHERE id = :id AND cancel_requested_at IS NOT NULL",
          soci::use(id), soci::into(asked);
      return asked > 0;
    } catch (...) {
      return StatusFromCurrentException("cannot read run " + std::to_string(run_id) + "'s cancel request");
    }
  }
  Result<std::filesystem::path> file = CancelRequestFile(*db_, run_id);
  if (!file.ok()) return false;
  std::ifstream in(*file);
  if (!in) return false;  // the common case: one failed open, no query
  std::stringstream started_at;
  started_at << in.rdbuf();
  Result<SyncRun> run = Get(run_id);
  if (!run.ok()) return run.status();
  return started_at.str() == run->started_at;
}

void RunStore::ForgetCancelRequest(int64_t run_id) {
  if (db_->dialect() == Dialect::kPostgres) return;
  Result<std::filesystem::path> file = CancelRequestFile(*db_, run_id);
  if (!file.ok()) return;
  std::error_code ec;
  std::filesystem::remove(*file, ec);  // absent or not removable: harmless (see the header)
}

}  // namespace tether::db

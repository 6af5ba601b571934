#include "engine/ops/integrity.h"

#include <cstdio>
#include <map>

#include "engine/db/project_store.h"
#include "engine/common/json_writer.h"
#include "engine/db/run_store.h"
#include "engine/db/verify_report_store.h"
#include "shared/clock.h"
#include "engine/sync/content_rules.h"
#include "engine/sync/stored_cursor.h"
#include "tether/provider.h"
#include "tether/storage.h"

namespace tether::ops {
namespace {

// Whether the project's repository still has `cursor`, its last synced
// commit. Unknown (with a note) when the repository cannot be opened.
void CheckCursor(const plugin_host::PluginHost& plugins, const db::Project& p, const CommitId& cursor,
                 IntegrityReport* report) {
  if (cursor.empty()) return;
  Result<Provider*> provider = plugins.FindProvider(p.provider);
  if (!provider.ok()) {
    report->notes.push_back("project " + p.name + ": cursor not checked: " + provider.status().message());
    return;
  }
  Result<std::unique_ptr<Repository>> repo = (*provider)->Open(p.repo_url);
  if (!repo.ok()) {
    report->notes.push_back("project " + p.name + ": cursor not checked: " + repo.status().message());
    return;
  }
  Result<bool> has = (*repo)->IsAncestor(cursor, cursor);
  if (has.ok() && *has) return;
  if (!has.ok() && has.status().code() != StatusCode::kNotFound) {
    report->notes.push_back("project " + p.name + ": cursor not checked: " + has.status().message());
    return;
  }
  std::string documents = "an unknown number of";
  Result<Storage*> storage = plugins.FindStorage(p.storage);
  if (storage.ok()) {
    Result<StorageCounts> counts = (*storage)->Counts(ProjectRef{p.id, p.tenant_id});
    if (counts.ok()) documents = std::to_string(counts->documents);
  }
  report->problems.push_back("project " + p.name + ": its repository no longer has the synced commit " + cursor +
                             " (" + documents + " documents were synced at it); the next sync compares the whole tree");
}

// Entries by path, from a provider's diff from nothing (the whole tree) or
// from a storage's listing.
using EntriesByPath = std::map<std::string, Entry>;

class TreeCollector : public ChangeSink {
 public:
  explicit TreeCollector(EntriesByPath* out) : out_(out) {}
  Status OnChange(const Change& change) override {
    (*out_)[change.entry.path] = change.entry;
    return Status::Ok();
  }

 private:
  EntriesByPath* out_;
};

class StoredCollector : public EntrySink {
 public:
  explicit StoredCollector(EntriesByPath* out) : out_(out) {}
  Status OnEntry(const Entry& entry) override {
    (*out_)[entry.path] = entry;
    return Status::Ok();
  }

 private:
  EntriesByPath* out_;
};

// "100755 (executable)".
std::string ModeText(const Entry& entry) {
  char octal[16];
  std::snprintf(octal, sizeof(octal), "%o", static_cast<unsigned>(entry.mode));
  return std::string(octal) + " (" + EntryKindName(entry.kind) + ")";
}

// Every stored row of `p` against the tree of its cursor commit.
void CompareWithTree(const plugin_host::PluginHost& plugins, const db::Project& p, const CommitId& commit,
                     IntegrityReport* report) {
  if (commit.empty()) return;
  auto note = [&](const std::string& why) {
    report->notes.push_back("project " + p.name + ": rows not compared with the tree: " + why);
  };
  Result<Provider*> provider = plugins.FindProvider(p.provider);
  if (!provider.ok()) return note(provider.status().message());
  Result<Storage*> storage = plugins.FindStorage(p.storage);
  if (!storage.ok()) return note(storage.status().message());
  Result<std::unique_ptr<Repository>> repo = (*provider)->Open(p.repo_url);
  if (!repo.ok()) return note(repo.status().message());
  EntriesByPath tree;
  TreeCollector tree_sink(&tree);
  Status listed = (*repo)->Diff("", commit, &tree_sink);
  if (!listed.ok()) return note(listed.message());
  EntriesByPath stored;
  StoredCollector stored_sink(&stored);
  Status read = (*storage)->ListEntries(ProjectRef{p.id, p.tenant_id}, &stored_sink);
  if (!read.ok()) return note(read.message());

  const std::string at = " at " + commit.substr(0, 12);
  auto problem = [&](const std::string& path, const std::string& what) {
    report->problems.push_back("project " + p.name + ": \"" + sync::DisplayPath(path) + "\" " + what);
  };
  auto t = tree.begin();
  auto s = stored.begin();
  while (t != tree.end() || s != stored.end()) {
    if (s == stored.end() || (t != tree.end() && t->first < s->first)) {
      if (sync::CheckRepositoryPath(t->first).ok()) problem(t->first, "is in the tree" + at + " but not stored");
      ++t;
    } else if (t == tree.end() || s->first < t->first) {
      problem(s->first, "is stored but not in the tree" + at);
      ++s;
    } else {
      const Entry& want = t->second;
      const Entry& have = s->second;
      if (want.blob_id != have.blob_id) {
        problem(have.path, "is stored with blob " + have.blob_id + "; the tree" + at + " has " + want.blob_id);
      } else if (want.mode != have.mode || want.kind != have.kind) {
        problem(have.path, "is stored with mode " + ModeText(have) + "; the tree" + at + " has " + ModeText(want));
      }
      ++t;
      ++s;
    }
  }
}

}  // namespace

Result<IntegrityReport> CheckIntegrity(app::Runtime* runtime, bool deep) {
  Result<db::Database*> db = runtime->database();
  if (!db.ok()) return db.status();
  return CheckIntegrity(*db, runtime->plugins(), deep);
}

Result<IntegrityReport> CheckIntegrity(db::Database* db, const plugin_host::PluginHost& plugins, bool deep) {
    IntegrityReport report;
  report.checked_at = NowIso8601();
  report.deep = deep;
  Result<std::vector<std::string>> tables = db->TableNames();
  if (!tables.ok()) return tables.status();
  for (const std::string& table : *tables) {
    Result<int64_t> rows = db->CountRows(table);
    if (!rows.ok()) return rows.status();
    report.table_rows.emplace_back(table, *rows);
  }
  db::ProjectStore projects(db);
  Result<std::vector<std::pair<int64_t, std::string>>> orphans = projects.WithoutSyncSettings();
  if (!orphans.ok()) return orphans.status();
  for (const auto& orphan : *orphans) {
    report.problems.push_back("project " + orphan.second + " has no project_syncs row (run `tether backfill`)");
  }

  Result<std::unique_ptr<migrate::Migrator>> migrator = app::Runtime::MigratorOn(db);
  if (!migrator.ok()) return migrator.status();
  Result<migrate::Migrator::VerifyReport> evidence = (*migrator)->Verify();
  if (!evidence.ok()) return evidence.status();
  report.evidence_of = evidence->against;
  if (evidence->against.empty()) report.notes.push_back("no migration has recorded evidence yet");
  // Syncs change documents legitimately; once one has written since the
  // evidence was taken, only what no sync changes is compared: that every
  // protected column is still there with its declared type.
  Result<int64_t> succeeded = db::RunStore(db).CountSucceededSince(evidence->against_applied_at);
  if (!succeeded.ok()) return succeeded.status();
  const int64_t syncs_since = *succeeded;
  if (syncs_since > 0 && !evidence->against.empty()) {
    report.notes.push_back(std::to_string(syncs_since) + " sync(s) wrote since " + evidence->against +
                           " was applied: protected columns compared for presence and type only");
  }
  for (const migrate::FingerprintDifference& d : evidence->differences) {
    if (syncs_since > 0 && !d.structural()) continue;
    report.problems.push_back("protected data differs from the evidence of " + evidence->against + ": " + d.text);
  }

  Result<std::vector<db::Project>> all = projects.List();
  if (!all.ok()) return all.status();
  for (const db::Project& p : *all) {
    Result<CommitId> cursor = sync::StoredCursor(plugins, p);
    if (!cursor.ok()) {
      report.notes.push_back("project " + p.name + ": cursor not checked: " + cursor.status().message());
      continue;
    }
    CheckCursor(plugins, p, *cursor, &report);
    if (deep) CompareWithTree(plugins, p, *cursor, &report);
  }
  return report;
}

Result<std::vector<std::string>> Backfill(app::Runtime* runtime) {
  Result<db::Database*> db = runtime->database();
  if (!db.ok()) return db.status();
  return Backfill(*db, runtime->config().defaults);
}

Result<std::vector<std::string>> Backfill(db::Database* db, const config::Defaults& defaults) {
    std::vector<std::string> changes;
  Status status = db->InTransaction([&]() -> Status {
    db::ProjectStore projects(db);
    Result<std::vector<std::pair<int64_t, std::string>>> missing = projects.WithoutSyncSettings();
    if (!missing.ok()) return missing.status();
    for (const auto& [id, name] : *missing) {
      TETHER_RETURN_IF_ERROR(projects.AddMissingSyncSettings(id, defaults.provider, defaults.storage));
      changes.push_back("project " + name + ": added its project_syncs row (disabled, status needs_setup)");
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return changes;
}

std::string IntegrityReportJson(const IntegrityReport& report) {
  CompactJsonWriter out;
  out.Begin().Str("checked_at", report.checked_at).Bool("deep", report.deep).Bool("ok", report.problems.empty());
  out.StrOrNull("evidence_of", report.evidence_of).BeginObject("table_rows");
  for (const auto& [table, rows] : report.table_rows) out.Int(table.c_str(), rows);
  out.End().List("problems", report.problems).List("notes", report.notes);
  return out.End().Text();
}

Status RecordIntegrityReport(db::Database* db, const IntegrityReport& report, const std::string& trigger) {
  db::VerifyReportRow row;
  row.created_at = report.checked_at;
  row.trigger = trigger;
  row.deep = report.deep;
  row.ok = report.problems.empty();
  row.report = IntegrityReportJson(report);
  return db::VerifyReportStore(db).Record(&row);
}

}  // namespace tether::ops

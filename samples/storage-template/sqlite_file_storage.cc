// sqlite-file-storage: a Tether storage plugin written against the SDK
// alone. It keeps everything in one SQLite file of its own, through SQLite's
// C API, and shows what every storage owes the engine (tether/storage.h):
//
//   - one write is one transaction: the rows and the new cursor become
//     visible together or not at all, also when the process is killed
//     inside it (SQLite's journal);
//   - a write whose cursor moved since it began, or whose epoch was fenced,
//     is refused with Conflict and changes nothing;
//   - a rename keeps the row (and what was derived from it), taking the new
//     mode; derived data goes only with the bytes;
//   - analysis results belong to the tenant and are found by (blob,
//     language, analyzer key), so two projects of one tenant share them;
//   - every method returns a Status: no exception crosses the boundary.
//
// Settings: {"path": "/var/lib/tether/store.sqlite"}. Without a path, a
// file beside the engine's SQLite database (its name + ".sqlite-file-storage")
// is used; with the engine on PostgreSQL, a path is required.
//
// Thread safety: Storage methods may run on several threads at once: each
// call opens a connection of its own (SQLite connections are cheap; a real
// storage would pool them). A writer keeps its connection for its life.
//
// Build it out of tree against the installed SDK, then run the conformance
// kit on it (CMakeLists.txt does both): `tether plugins test` checks these
// contracts, with a writer killed inside its transaction.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "sqlite_db.h"
#include "tether/plugin.h"
#include "tether/storage.h"

namespace sqlite_file_storage {
namespace {

using tether::AnalysisResult;
using tether::AnalyzerKey;
using tether::CommitId;
using tether::ProjectRef;
using tether::Result;
using tether::Status;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS cursors (
  project INTEGER PRIMARY KEY, tenant TEXT NOT NULL, commit_id TEXT NOT NULL DEFAULT '',
  fence INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS documents (
  project INTEGER NOT NULL, path TEXT NOT NULL, blob_id TEXT NOT NULL, mode INTEGER NOT NULL,
  kind INTEGER NOT NULL, size INTEGER NOT NULL, is_binary INTEGER NOT NULL, has_content INTEGER NOT NULL,
  content BLOB, language TEXT NOT NULL, updated_commit TEXT NOT NULL, updated_at TEXT NOT NULL,
  PRIMARY KEY (project, path));
CREATE INDEX IF NOT EXISTS documents_by_blob ON documents (project, blob_id, language);
-- One row per (tenant, key, blob, language): a mark (outcome NULL) or a result.
CREATE TABLE IF NOT EXISTS analysis (
  tenant TEXT NOT NULL, analyzer TEXT NOT NULL, version TEXT NOT NULL, settings_hash TEXT NOT NULL,
  blob_id TEXT NOT NULL, language TEXT NOT NULL, outcome INTEGER, reason TEXT NOT NULL DEFAULT '',
  retry INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL DEFAULT '', failures INTEGER NOT NULL DEFAULT 0,
  unfinished INTEGER NOT NULL DEFAULT 0, marked_by TEXT NOT NULL DEFAULT '', unneeded_since INTEGER,
  PRIMARY KEY (tenant, analyzer, version, settings_hash, blob_id, language));
CREATE TABLE IF NOT EXISTS symbols (
  tenant TEXT NOT NULL, analyzer TEXT NOT NULL, version TEXT NOT NULL, settings_hash TEXT NOT NULL,
  blob_id TEXT NOT NULL, language TEXT NOT NULL, ordinal INTEGER NOT NULL, name TEXT NOT NULL,
  kind TEXT NOT NULL, start_line INTEGER NOT NULL, end_line INTEGER NOT NULL, signature TEXT NOT NULL,
  parent TEXT NOT NULL, doc TEXT NOT NULL,
  PRIMARY KEY (tenant, analyzer, version, settings_hash, blob_id, language, ordinal));
CREATE TABLE IF NOT EXISTS steps (
  project INTEGER NOT NULL, analyzer TEXT NOT NULL, version TEXT NOT NULL, settings_hash TEXT NOT NULL,
  PRIMARY KEY (project, analyzer));
CREATE TABLE IF NOT EXISTS step_outputs (
  project INTEGER NOT NULL, analyzer TEXT NOT NULL, name TEXT NOT NULL, key TEXT NOT NULL,
  content BLOB NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (project, analyzer, name));
CREATE TABLE IF NOT EXISTS step_files (
  project INTEGER NOT NULL, analyzer TEXT NOT NULL, path TEXT NOT NULL, blob_id TEXT NOT NULL,
  language TEXT NOT NULL, PRIMARY KEY (project, analyzer, path));
CREATE TABLE IF NOT EXISTS vectors (
  tenant TEXT NOT NULL, space TEXT NOT NULL, hash TEXT NOT NULL, dimensions INTEGER NOT NULL,
  vector BLOB NOT NULL, PRIMARY KEY (tenant, space, hash));
)sql";

std::string NowUtc() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// Runs `body`, turning an exception into Internal: nothing may cross the
// plugin boundary.
template <typename Body>
auto Guarded(const char* what, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const std::exception& e) {
    return Status::Internal(std::string("sqlite-file-storage ") + what + ": " + e.what());
  } catch (...) {
    return Status::Internal(std::string("sqlite-file-storage ") + what + ": unknown exception");
  }
}

// Binds an analyzer key's tenant and three parts at `first`..`first + 3`.
void BindKey(Stmt* stmt, int first, const std::string& tenant, const AnalyzerKey& key) {
  stmt->Bind(first, tenant).Bind(first + 1, key.id).Bind(first + 2, key.version).Bind(first + 3, key.settings_hash);
}

class SqliteFileStorage;

class Writer final : public tether::StorageWriter {
 public:
  // `epoch` is -1 for a write that is not fenced.
  Writer(std::unique_ptr<Db> db, ProjectRef project, CommitId expected, int64_t epoch)
      : db_(std::move(db)), transaction_(db_.get()), project_(std::move(project)),
        expected_(std::move(expected)), epoch_(epoch) {}

  Status Apply(const tether::Change& change, const tether::Document* document, const CommitId& commit) override {
    return Guarded("Apply", [&]() -> Status {
      TETHER_RETURN_IF_ERROR(Begin());
      const std::string& path = change.entry.path;
      if (change.kind == tether::ChangeKind::kDeleted) {
        return Stmt(db_.get(), "DELETE FROM documents WHERE project = ?1 AND path = ?2")
            .Bind(1, project_.id).Bind(2, path).Run();
      }
      if (change.kind == tether::ChangeKind::kRenamed) {
        // The row moves with what it holds, taking the new mode and kind.
        TETHER_RETURN_IF_ERROR(Stmt(db_.get(), "DELETE FROM documents WHERE project = ?1 AND path = ?2")
                                   .Bind(1, project_.id).Bind(2, path).Run());
        Stmt move(db_.get(),
                  "UPDATE documents SET path = ?3, blob_id = ?4, mode = ?5, kind = ?6, updated_commit = ?7, "
                  "updated_at = ?8 WHERE project = ?1 AND path = ?2");
        move.Bind(1, project_.id).Bind(2, change.old_path).Bind(3, path).Bind(4, change.entry.blob_id);
        move.Bind(5, static_cast<int64_t>(change.entry.mode)).Bind(6, static_cast<int64_t>(change.entry.kind));
        TETHER_RETURN_IF_ERROR(move.Bind(7, commit).Bind(8, NowUtc()).Run());
        if (sqlite3_changes(db_->handle()) > 0) return Status::Ok();
        // No row at the old path: store it from `document` like an add.
      }
      if (document == nullptr) return Status::InvalidArgument("Apply of " + path + " without its document");
      Stmt put(db_.get(),
               "INSERT OR REPLACE INTO documents (project, path, blob_id, mode, kind, size, is_binary, "
               "has_content, content, language, updated_commit, updated_at) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
      put.Bind(1, project_.id).Bind(2, path).Bind(3, change.entry.blob_id);
      put.Bind(4, static_cast<int64_t>(change.entry.mode)).Bind(5, static_cast<int64_t>(change.entry.kind));
      put.Bind(6, static_cast<int64_t>(document->size)).Bind(7, int64_t{document->is_binary});
      put.Bind(8, int64_t{document->has_content});
      put.BindBlob(9, document->content.data(), document->has_content ? document->content.size() : 0);
      return put.Bind(10, document->language).Bind(11, commit).Bind(12, NowUtc()).Run();
    });
  }

  Status Commit(const CommitId& new_cursor) override {
    return Guarded("Commit", [&]() -> Status {
      TETHER_RETURN_IF_ERROR(Begin());
      if (epoch_ >= 0) {
        Stmt fence(db_.get(), "SELECT fence FROM cursors WHERE project = ?1");
        if (fence.Bind(1, project_.id).Step() && fence.Int(0) > epoch_) {
          return Status::Conflict("sqlite-file-storage: project " + std::to_string(project_.id) +
                                  " was fenced at epoch " + std::to_string(fence.Int(0)) + ", after this write's " +
                                  std::to_string(epoch_));
        }
        TETHER_RETURN_IF_ERROR(fence.status());
      }
      Stmt cursor(db_.get(),
                  "INSERT INTO cursors (project, tenant, commit_id) VALUES (?1, ?2, ?3) "
                  "ON CONFLICT (project) DO UPDATE SET commit_id = excluded.commit_id, tenant = excluded.tenant");
      TETHER_RETURN_IF_ERROR(cursor.Bind(1, project_.id).Bind(2, project_.tenant).Bind(3, new_cursor).Run());
      return transaction_.Commit();
    });
  }

 private:
  // The transaction starts at the first call, not at BeginWrite, so that
  // an open writer does not hold the database's lock before it writes; the
  // cursor is checked again under the lock.
  Status Begin() {
    if (begun_) return Status::Ok();
    TETHER_RETURN_IF_ERROR(transaction_.Begin());
    begun_ = true;
    Stmt cursor(db_.get(), "SELECT commit_id FROM cursors WHERE project = ?1");
    const std::string now = cursor.Bind(1, project_.id).Step() ? cursor.Text(0) : "";
    TETHER_RETURN_IF_ERROR(cursor.status());
    if (now != expected_) {
      return Status::Conflict("sqlite-file-storage: the cursor of project " + std::to_string(project_.id) +
                              " moved from '" + expected_ + "' to '" + now + "'");
    }
    return Status::Ok();
  }

  std::unique_ptr<Db> db_;
  Transaction transaction_;  // rolls back unless committed
  const ProjectRef project_;
  const CommitId expected_;
  const int64_t epoch_;
  bool begun_ = false;
};

// The text search's rules: literal text, ASCII letters folded unless asked.
char Fold(char c, bool case_sensitive) {
  return case_sensitive ? c : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

// `text` cut to at most `max` bytes from a little before `from` (where the
// match starts), at UTF-8 boundaries.
std::string Window(const std::string& text, size_t from, size_t max) {
  if (text.size() <= max) return text;
  size_t begin = from > max / 4 ? from - max / 4 : 0;
  size_t end = std::min(text.size(), begin + max);
  auto continuation = [&](size_t i) { return i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80; };
  while (begin < end && continuation(begin)) ++begin;
  while (end > begin && continuation(end)) --end;
  return text.substr(begin, end - begin);
}

class SqliteFileStorage final : public tether::Storage {
 public:
  explicit SqliteFileStorage(std::string path) : path_(std::move(path)) {}

  Status Init() {
    Db db;
    TETHER_RETURN_IF_ERROR(Db::Open(path_, &db));
    return db.Exec(kSchema);
  }

  Result<CommitId> ReadCursor(const ProjectRef& project) override {
    return Guarded("ReadCursor", [&]() -> Result<CommitId> {
      Db db;
      TETHER_RETURN_IF_ERROR(Db::Open(path_, &db));
      return CursorOf(&db, project.id);
    });
  }

  Status ListEntries(const ProjectRef& project, tether::EntrySink* sink) override {
    return Guarded("ListEntries", [&]() -> Status {
      Db db;
      TETHER_RETURN_IF_ERROR(Db::Open(path_, &db));
      Stmt rows(&db, "SELECT path, blob_id, mode, kind FROM documents WHERE project = ?1");
      rows.Bind(1, project.id);
      while (rows.Step()) {
        tether::Entry entry;
        entry.path = rows.Text(0);
        entry.blob_id = rows.Text(1);
        entry.mode = static_cast<uint32_t>(rows.Int(2));
        entry.kind = static_cast<tether::EntryKind>(rows.Int(3));
        TETHER_RETURN_IF_ERROR(sink->OnEntry(entry));
      }
      return rows.status();
    });
  }

  Result<std::unique_ptr<tether::StorageWriter>> BeginWrite(const ProjectRef& project,
                                                            const CommitId& expected_cursor) override {
    return BeginFencedWrite(project, expected_cursor, -1);
  }

  Result<tether::StorageCounts> Counts(const ProjectRef& project) override {
    return Guarded("Counts", [&]() -> Result<tether::StorageCounts> {
      Db db;
      TETHER_RETURN_IF_ERROR(Db::Open(path_, &db));
      Stmt sums(&db,
                "SELECT COUNT(*), COALESCE(SUM(has_content), 0), COALESCE(SUM(is_binary), 0), "
                "COALESCE(SUM(size), 0) FROM documents WHERE project = ?1");
      tether::StorageCounts counts;
      if (sums.Bind(1, project.id).Step()) {
        counts.documents = sums.Int(0);
        counts.with_content = sums.Int(1);
        counts.binary = sums.Int(2);
        counts.total_bytes = sums.Int(3);
      }
      TETHER_RETURN_IF_ERROR(sums.status());
      return counts;  // this storage keeps no derived data in its rows
    });
  }

  Result<tether::DocumentPage> ListDocuments(const ProjectRef& project, const tether::DocumentQuery& query) override {
    return Guarded("ListDocuments", [&]() -> Result<tether::DocumentPage> {
      if (query.limit < 1) return Status::InvalidArgument("ListDocuments needs a limit of 1 or more");
      Db db;
      TETHER_RETURN_IF_ERROR(Db::Open(path_, &db));
      // Text compares byte by byte (SQLite's BINARY collation); the paths
      // under a prefix are one run of that order, starting at the prefix.
      Stmt rows(&db,
                "SELECT path, blob_id, mode, kind, size, is_binary, language, has_content, updated_commit, "
                "updated_at FROM documents WHERE project = ?1 AND path > ?2 AND path >= ?3 ORDER BY path");
      rows.Bind(1, project.id).Bind(2, query.after).Bind(3, query.path_prefix);
      tether::DocumentPage page;
      while (rows.Step()) {
        const std::string path = rows.Text(0);
        if (!StartsWith(path, query.path_prefix)) break;
        if (page.documents.size() == static_cast<size_t>(query.limit)) {
          page.more = true;
          break;
        }
        page.documents.push_back(DocumentRow(rows));
      }
      TETHER_RETURN_IF_ERROR(rows.status());
      return page;
    });
  }

  Result<tether::StoredDocument> GetDocument(const ProjectRef& project, const std::string& path) override {
    return Guarded("GetDocument", [&]() -> Result<tether::StoredDocument> {
      Db db;
      TETHER_RETURN_IF_ERROR(Db::Open(path_, &db));
      Stmt row(&db,
               "SELECT path, blob_id, mode, kind, size, is_binary, language, has_content, updated_commit, "
               "updated_at, content FROM documents WHERE project = ?1 AND path = ?2");
      if (!row.Bind(1, project.id).Bind(2, path).Step()) {
        TETHER_RETURN_IF_ERROR(row.status());
        return Status::NotFound("project " + std::to_string(project.id) + " has no document " + path);
      }
      tether::StoredDocument document = DocumentRow(row);
      if (document.has_content) document.content = row.Text(10);
      return document;
    });
  }

  Status DeleteProject(const ProjectRef& project) override {
    return Guarded("DeleteProject", [&]() -> Status {
      Db db;
      TETHER_RETURN_IF_ERROR(Db::Open(path_, &db));
      Transaction transaction(&db);
      TETHER_RETURN_IF_ERROR(transaction.Begin());
      for (const char* sql : {"DELETE FROM documents WHERE project = ?1", "DELETE FROM cursors WHERE project = ?1",
                              "DELETE FROM steps WHERE project = ?1", "DELETE FROM step_outputs WHERE project = ?1",
                              "DELETE FROM step_files WHERE project = ?1"}) {
        TETHER_RETURN_IF_ERROR(Stmt(&db, sql).Bind(1, project.id).Run());
      }
      // Analysis results and vectors are the tenant's: CollectAnalysis
      // removes those no document needs any more.
      return transaction.Commit();
    });
  }

  // ---- Analysis results ----

  Result<tether::AnalysisWorkPage> ListAnalysisWork(const ProjectRef& project, const AnalyzerKey& key,
                                                    const tether::AnalysisWorkQuery& query) override {
    return Guarded("ListAnalysisWork", [&]() -> Result<tether::AnalysisWorkPage> {
      if (query.limit < 1) return Status::InvalidArgument("ListAnalysisWork needs a limit of 1 or more");
      Db db;
      TETHER_RETURN_IF_ERROR(Db::Open(path_, &db));
      // Each (blob, language) of the current documents once, at its
      // smallest path, without a final result (or with a failure to retry).
      Stmt rows(&db,
                "SELECT d.blob_id, d.language, MIN(d.path), d.size, d.is_binary, d.has_content, d.content, "
                "COALESCE(a.unfinished, 0), COALESCE(a.marked_by, ''), COALESCE(a.failures, 0) "
                "FROM documents d LEFT JOIN analysis a ON a.tenant = ?2 AND a.analyzer = ?3 AND a.version = ?4 "
                "AND a.settings_hash = ?5 AND a.blob_id = d.blob_id AND a.language = d.language "
                "WHERE d.project = ?1 AND (a.outcome IS NULL OR (a.outcome = 1 AND a.retry = 1)) "
                "AND (d.blob_id, d.language) > (?6, ?7) "
                "GROUP BY d.blob_id, d.language ORDER BY d.blob_id, d.language LIMIT ?8");
      rows.Bind(1, project.id);
      BindKey(&rows, 2, project.tenant, key);
      rows.Bind(6, query.after_blob).Bind(7, query.after_language).Bind(8, int64_t{query.limit} + 1);
      tether::AnalysisWorkPage page;
      while (rows.Step()) {
        if (page.work.size() == static_cast<size_t>(query.limit)) {
          page.more = true;
          break;
        }
        tether::AnalysisWork work;
        work.blob_id = rows.Text(0);
        work.language = rows.Text(1);
        work.path = rows.Text(2);
        work.size = static_cast<uint64_t>(rows.Int(3));
        work.is_binary = rows.Int(4) != 0;
        work.has_content = rows.Int(5) != 0;
        if (work.has_content) work.content = rows.Text(6);
        work.unfinished = static_cast<int32_t>(rows.Int(7));
        work.marked_by = rows.Text(8);
        work.failures = static_cast<int32_t>(rows.Int(9));
        page.work.push_back(std::move(work));
      }
      TETHER_RETURN_IF_ERROR(rows.status());
      return page;
    });
  }

  Status MarkAnalysisStarted(const ProjectRef& project, const AnalyzerKey& key,
                             const std::vector<tether::AnalysisWork>& work, const std::string& owner) override {
    return Guarded("MarkAnalysisStarted", [&]() -> Status {
      Db db;
      TETHER_RETURN_IF_ERROR(Db::Open(path_, &db));
      Transaction transaction(&db);
      TETHER_RETURN_IF_ERROR(transaction.Begin());
      for (const tether::AnalysisWork& item : work) {
        Stmt mark(&db,
                  "INSERT INTO analysis (tenant, analyzer, version, settings_hash, blob_id, language, unfinished, "
                  "marked_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7) ON CONFLICT DO UPDATE SET "
                  "unfinished = unfinished + 1, marked_by = excluded.marked_by");
        BindKey(&mark, 1, project.tenant, key);
        TETHER_RETURN_IF_ERROR(mark.Bind(5, item.blob_id).Bind(6, item.language).Bind(7, owner).Run());
      }
      return transaction.Commit();  // durable before the analyzer sees the work
    });
  }

  Status PutAnalysisResults(const ProjectRef& project, const AnalyzerKey& key,
                            const std::vector<AnalysisResult>& results) override {
    return Guarded("PutAnalysisResults", [&]() -> Status {
      for (const AnalysisResult& result : results) {
        if (result.outcome != tether::AnalysisOutcome::kAnalyzed || result.data.empty()) continue;
        const size_t first = result.data.find_first_not_of(" \t\r\n");
        const size_t last = result.data.find_last_not_of(" \t\r\n");
        if (first == std::string::npos || result.data[first] != '{' || result.data[last] != '}') {
          return Status::InvalidArgument("the result for blob " + result.blob_id + " is not a JSON object");
        }
      }
      Db db;
      TETHER_RETURN_IF_ERROR(Db::Open(path_, &db));
      Transaction transaction(&db);
      TETHER_RETURN_IF_ERROR(transaction.Begin());
      for (const AnalysisResult& result : results) {
        const bool failed = result.outcome == tether::AnalysisOutcome::kFailed;
        Stmt put(&db,
                 "INSERT INTO analysis (tenant, analyzer, version, settings_hash, blob_id, language, outcome, "
                 "reason, retry, data, failures) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                 "ON CONFLICT DO UPDATE SET outcome = excluded.outcome, reason = excluded.reason, "
                 "retry = excluded.retry, data = excluded.data, failures = failures + excluded.failures, "
                 "unfinished = 0, marked_by = '', unneeded_since = NULL");
        BindKey(&put, 1, project.tenant, key);
        put.Bind(5, result.blob_id).Bind(6, result.language).Bind(7, static_cast<int64_t>(result.outcome));
        put.Bind(8, result.reason).Bind(9, int64_t{result.retry}).Bind(10, result.data).Bind(11, int64_t{failed});
        TETHER_RETURN_IF_ERROR(put.Run());
        Stmt clear(&db,
                   "DELETE FROM symbols WHERE tenant = ?1 AND analyzer = ?2 AND version = ?3 AND "
                   "settings_hash = ?4 AND blob_id = ?5 AND language = ?6");
        BindKey(&clear, 1, project.tenant, key);
        TETHER_RETURN_IF_ERROR(clear.Bind(5, result.blob_id).Bind(6, result.language).Run());
        for (size_t i = 0; i < result.symbols.size(); ++i) {
          const tether::Symbol& s = result.symbols[i];
          Stmt symbol(&db,
                      "INSERT INTO symbols VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
          BindKey(&symbol, 1, project.tenant, key);
          symbol.Bind(5, result.blob_id).Bind(6, result.language).Bind(7, static_cast<int64_t>(i));
          symbol.Bind(8, s.name).Bind(9, s.kind).Bind(10, int64_t{s.start_line}).Bind(11, int64_t{s.end_line});
          TETHER_RETURN_IF_ERROR(symbol.Bind(12, s.signature).Bind(13, s.parent).Bind(14, s.doc).Run());
        }
      }
      return transaction.Commit();
    });
  }

  Result<AnalysisResult> GetAnalysis(const ProjectRef& project, const AnalyzerKey& key,
                                     const std::string& path) override {
    return Guarded("GetAnalysis", [&]() -> Result<AnalysisResult> {
      Db db;
      TETHER_RETURN_IF_ERROR(Db::Open(path_, &db));
      Stmt document(&db, "SELECT blob_id, language FROM documents WHERE project = ?1 AND path = ?2");
      if (!document.Bind(1, project.id).Bind(2, path).Step()) {
        TETHER_RETURN_IF_ERROR(document.status());
        return Status::NotFound("project " + std::to_string(project.id) + " has no document " + path);
      }
      tether::RepositoryFile file{path, document.Text(0), document.Text(1)};
      Result<AnalysisResult> result = ResultOf(&db, project.tenant, key, file);
      if (result.ok() && result->reason == kNoResult && result->outcome == tether::AnalysisOutcome::kFailed) {
        return Status::NotFound("no result under " + key.id + " for " + path + " yet");
      }
      return result;
    });
  }

  Result<tether::AnalysisCounts> CountAnalysis(const ProjectRef& project, const AnalyzerKey& key) override {
    return Guarded("CountAnalysis", [&]() -> Result<tether::AnalysisCounts> {
      Db db;
      TETHER_RETURN_IF_ERROR(Db::Open(path_, &db));
      Stmt rows(&db,
                "SELECT a.outcome, COUNT(*) FROM (SELECT DISTINCT blob_id, language FROM documents "
                "WHERE project = ?1) d LEFT JOIN analysis a ON a.tenant = ?2 AND a.analyzer = ?3 AND "
                "a.version = ?4 AND a.settings_hash = ?5 AND a.blob_id = d.blob_id AND a.language = d.language "
                "GROUP BY a.outcome");
      rows.Bind(1, project.id);
      BindKey(&rows, 2, project.tenant, key);
      tether::AnalysisCounts counts;
      while (rows.Step()) {
        const int64_t n = rows.Int(1);
        if (rows.IsNull(0)) {
          counts.pending += n;
          continue;
        }
        switch (static_cast<tether::AnalysisOutcome>(rows.Int(0))) {
          case tether::AnalysisOutcome::kAnalyzed: counts.analyzed += n; break;
          case tether::AnalysisOutcome::kFailed: counts.failed += n; break;
          case tether::AnalysisOutcome::kSkipped: counts.skipped += n; break;
          case tether::AnalysisOutcome::kPoison: counts.poison += n; break;
        }
      }
      TETHER_RETURN_IF_ERROR(rows.status());
      return counts;
    });
  }

  Result<tether::SymbolPage> SearchSymbols(const ProjectRef& project, const tether::SymbolQuery& query) override {
    return Guarded("SearchSymbols", [&]() -> Result<tether::SymbolPage> {
      if (query.limit < 1 || query.limit > 1000) return Status::InvalidArgument("the limit must be 1 to 1000");
      if (query.text.empty()) return Status::InvalidArgument("SearchSymbols needs a text");
      Db db;
      TETHER_RETURN_IF_ERROR(Db::Open(path_, &db));
      Stmt rows(&db,
                "SELECT d.path, d.language, s.name, s.kind, s.start_line, s.end_line, s.signature, s.parent, s.doc "
                "FROM documents d JOIN analysis a ON a.tenant = ?2 AND a.analyzer = ?3 AND a.version = ?4 AND "
                "a.settings_hash = ?5 AND a.blob_id = d.blob_id AND a.language = d.language AND a.outcome = 0 "
                "JOIN symbols s ON s.tenant = a.tenant AND s.analyzer = a.analyzer AND s.version = a.version AND "
                "s.settings_hash = a.settings_hash AND s.blob_id = a.blob_id AND s.language = a.language "
                "WHERE d.project = ?1 AND (?6 = '' OR s.kind = ?6) AND d.path >= ?7");
      rows.Bind(1, project.id);
      BindKey(&rows, 2, project.tenant, query.key);
      rows.Bind(6, query.kind).Bind(7, query.path_prefix);
      std::vector<tether::SymbolHit> hits;
      while (rows.Step()) {
        tether::SymbolHit hit;
        hit.path = rows.Text(0);
        if (!StartsWith(hit.path, query.path_prefix)) continue;
        hit.symbol.name = rows.Text(2);
        const int match = Match(hit.symbol.name, query.text);
        if (match < 0) continue;
        hit.match = match;
        hit.language = rows.Text(1);
        hit.symbol.kind = rows.Text(3);
        hit.symbol.start_line = static_cast<int32_t>(rows.Int(4));
        hit.symbol.end_line = static_cast<int32_t>(rows.Int(5));
        hit.symbol.signature = rows.Text(6);
        hit.symbol.parent = rows.Text(7);
        hit.symbol.doc = rows.Text(8);
        hits.push_back(std::move(hit));
      }
      TETHER_RETURN_IF_ERROR(rows.status());
      std::sort(hits.begin(), hits.end(), [](const tether::SymbolHit& a, const tether::SymbolHit& b) {
        return std::tie(a.match, a.symbol.name, a.path, a.symbol.start_line) <
               std::tie(b.match, b.symbol.name, b.path, b.symbol.start_line);
      });
      tether::SymbolPage page;
      page.more = hits.size() > static_cast<size_t>(query.limit);
      if (page.more) hits.resize(static_cast<size_t>(query.limit));
      page.hits = std::move(hits);
      return page;
    });
  }

  Result<int64_t> CollectAnalysis(const std::string& tenant, const std::vector<AnalyzerKey>& active,
                                  int64_t grace_seconds) override {
    return Guarded("CollectAnalysis", [&]() -> Result<int64_t> {
      Db db;
      TETHER_RETURN_IF_ERROR(Db::Open(path_, &db));
      Transaction transaction(&db);
      TETHER_RETURN_IF_ERROR(transaction.Begin());
      const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch()).count();
      // Unneeded: no document of the tenant holds the blob, or the
      // analyzer is configured now under another version or settings.
      TETHER_RETURN_IF_ERROR(db.Exec("CREATE TEMP TABLE IF NOT EXISTS active_keys (analyzer, version, settings_hash)"));
      TETHER_RETURN_IF_ERROR(db.Exec("DELETE FROM active_keys"));
      for (const AnalyzerKey& key : active) {
        TETHER_RETURN_IF_ERROR(Stmt(&db, "INSERT INTO active_keys VALUES (?1, ?2, ?3)")
                                   .Bind(1, key.id).Bind(2, key.version).Bind(3, key.settings_hash).Run());
      }
      Stmt mark(&db,
                "UPDATE analysis SET unneeded_since = CASE WHEN "
                "NOT EXISTS (SELECT 1 FROM documents d JOIN cursors c ON c.project = d.project "
                "            WHERE c.tenant = analysis.tenant AND d.blob_id = analysis.blob_id) "
                "OR (EXISTS (SELECT 1 FROM active_keys k WHERE k.analyzer = analysis.analyzer) AND NOT EXISTS "
                "    (SELECT 1 FROM active_keys k WHERE k.analyzer = analysis.analyzer AND "
                "     k.version = analysis.version AND k.settings_hash = analysis.settings_hash)) "
                "THEN COALESCE(unneeded_since, ?2) ELSE NULL END WHERE tenant = ?1");
      TETHER_RETURN_IF_ERROR(mark.Bind(1, tenant).Bind(2, now).Run());
      Stmt symbols(&db,
                   "DELETE FROM symbols WHERE EXISTS (SELECT 1 FROM analysis a WHERE a.tenant = symbols.tenant "
                   "AND a.analyzer = symbols.analyzer AND a.version = symbols.version AND "
                   "a.settings_hash = symbols.settings_hash AND a.blob_id = symbols.blob_id AND "
                   "a.language = symbols.language AND a.unneeded_since <= ?2) AND tenant = ?1");
      TETHER_RETURN_IF_ERROR(symbols.Bind(1, tenant).Bind(2, now - grace_seconds).Run());
      Stmt drop(&db, "DELETE FROM analysis WHERE tenant = ?1 AND unneeded_since <= ?2");
      TETHER_RETURN_IF_ERROR(drop.Bind(1, tenant).Bind(2, now - grace_seconds).Run());
      const int64_t removed = sqlite3_changes(db.handle());
      TETHER_RETURN_IF_ERROR(transaction.Commit());
      return removed;
    });
  }

  Result<std::vector<AnalysisResult>> GetAnalysisResults(const ProjectRef& project, const AnalyzerKey& key,
                                                         const std::vector<tether::RepositoryFile>& files) override {
    return Guarded("GetAnalysisResults", [&]() -> Result<std::vector<AnalysisResult>> {
      Db db;
      TETHER_RETURN_IF_ERROR(Db::Open(path_, &db));
      std::vector<AnalysisResult> out;
      for (const tether::RepositoryFile& file : files) {
        Result<AnalysisResult> result = ResultOf(&db, project.tenant, key, file);
        if (!result.ok()) return result.status();
        out.push_back(std::move(result).value());
      }
      return out;
    });
  }

  // ---- Repository outputs ----

  Result<tether::RepositorySnapshot> ReadRepositorySnapshot(const ProjectRef& project,
                                                            const std::string& analyzer_id) override {
    return Guarded("ReadRepositorySnapshot", [&]() -> Result<tether::RepositorySnapshot> {
      Db db;
      TETHER_RETURN_IF_ERROR(Db::Open(path_, &db));
      tether::RepositorySnapshot snapshot;
      Stmt key(&db, "SELECT version, settings_hash FROM steps WHERE project = ?1 AND analyzer = ?2");
      if (!key.Bind(1, project.id).Bind(2, analyzer_id).Step()) {
        TETHER_RETURN_IF_ERROR(key.status());
        return snapshot;  // never completed
      }
      snapshot.key = AnalyzerKey{analyzer_id, key.Text(0), key.Text(1)};
      Stmt files(&db,
                 "SELECT path, blob_id, language FROM step_files WHERE project = ?1 AND analyzer = ?2 ORDER BY path");
      files.Bind(1, project.id).Bind(2, analyzer_id);
      while (files.Step()) snapshot.files.push_back({files.Text(0), files.Text(1), files.Text(2)});
      TETHER_RETURN_IF_ERROR(files.status());
      return snapshot;
    });
  }

  Status CommitRepositoryStep(const ProjectRef& project, const tether::RepositoryCommit& commit) override {
    return Guarded("CommitRepositoryStep", [&]() -> Status {
      for (const tether::RepositoryOutput& output : commit.puts) {
        if (output.name.empty() || output.name.size() > tether::kMaxOutputNameBytes ||
            output.name.find('\0') != std::string::npos || output.key.size() > tether::kMaxOutputKeyBytes ||
            output.content.size() > tether::kMaxOutputContentBytes) {
          return Status::InvalidArgument("the output '" + output.name.substr(0, 200) +
                                         "' is outside the limits of RepositoryOutput");
        }
      }
      Db db;
      TETHER_RETURN_IF_ERROR(Db::Open(path_, &db));
      Transaction transaction(&db);
      TETHER_RETURN_IF_ERROR(transaction.Begin());
      const std::string& id = commit.key.id;
      if (commit.replace_all) {
        for (const char* sql : {"DELETE FROM step_outputs WHERE project = ?1 AND analyzer = ?2",
                                "DELETE FROM step_files WHERE project = ?1 AND analyzer = ?2"}) {
          TETHER_RETURN_IF_ERROR(Stmt(&db, sql).Bind(1, project.id).Bind(2, id).Run());
        }
      }
      TETHER_RETURN_IF_ERROR(Stmt(&db, "INSERT OR REPLACE INTO steps VALUES (?1, ?2, ?3, ?4)")
                                 .Bind(1, project.id).Bind(2, id).Bind(3, commit.key.version)
                                 .Bind(4, commit.key.settings_hash).Run());
      const std::string now = NowUtc();
      for (const tether::RepositoryOutput& output : commit.puts) {
        Stmt put(&db, "INSERT OR REPLACE INTO step_outputs VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
        put.Bind(1, project.id).Bind(2, id).Bind(3, output.name).Bind(4, output.key);
        TETHER_RETURN_IF_ERROR(put.BindBlob(5, output.content.data(), output.content.size()).Bind(6, now).Run());
      }
      for (const std::string& name : commit.removes) {
        TETHER_RETURN_IF_ERROR(Stmt(&db, "DELETE FROM step_outputs WHERE project = ?1 AND analyzer = ?2 AND name = ?3")
                                   .Bind(1, project.id).Bind(2, id).Bind(3, name).Run());
      }
      for (const tether::FileChange& change : commit.changes) {
        if (change.kind == tether::FileChangeKind::kDeleted) {
          TETHER_RETURN_IF_ERROR(Stmt(&db, "DELETE FROM step_files WHERE project = ?1 AND analyzer = ?2 AND path = ?3")
                                     .Bind(1, project.id).Bind(2, id).Bind(3, change.path).Run());
          continue;
        }
        Stmt put(&db, "INSERT OR REPLACE INTO step_files VALUES (?1, ?2, ?3, ?4, ?5)");
        TETHER_RETURN_IF_ERROR(put.Bind(1, project.id).Bind(2, id).Bind(3, change.path).Bind(4, change.new_blob)
                                   .Bind(5, change.language).Run());
      }
      return transaction.Commit();
    });
  }

  Result<tether::RepositoryOutputPage> ListRepositoryOutputs(const ProjectRef& project,
                                                             const tether::RepositoryOutputQuery& query) override {
    return Guarded("ListRepositoryOutputs", [&]() -> Result<tether::RepositoryOutputPage> {
      if (query.limit < 1) return Status::InvalidArgument("ListRepositoryOutputs needs a limit of 1 or more");
      Db db;
      TETHER_RETURN_IF_ERROR(Db::Open(path_, &db));
      Stmt rows(&db,
                "SELECT name, key, content, updated_at FROM step_outputs WHERE project = ?1 AND analyzer = ?2 "
                "AND name > ?3 AND name >= ?4 ORDER BY name");
      rows.Bind(1, project.id).Bind(2, query.analyzer_id).Bind(3, query.after).Bind(4, query.prefix);
      tether::RepositoryOutputPage page;
      while (rows.Step()) {
        tether::StoredOutput stored;
        stored.output.name = rows.Text(0);
        if (!StartsWith(stored.output.name, query.prefix)) break;
        if (page.outputs.size() == static_cast<size_t>(query.limit)) {
          page.more = true;
          break;
        }
        stored.output.key = rows.Text(1);
        if (query.with_content) stored.output.content = rows.Text(2);
        stored.updated_at = rows.Text(3);
        page.outputs.push_back(std::move(stored));
      }
      TETHER_RETURN_IF_ERROR(rows.status());
      return page;
    });
  }

  Result<tether::StoredOutput> GetRepositoryOutput(const ProjectRef& project, const std::string& analyzer_id,
                                                   const std::string& name) override {
    return Guarded("GetRepositoryOutput", [&]() -> Result<tether::StoredOutput> {
      Db db;
      TETHER_RETURN_IF_ERROR(Db::Open(path_, &db));
      Stmt row(&db,
               "SELECT key, content, updated_at FROM step_outputs WHERE project = ?1 AND analyzer = ?2 AND name = ?3");
      if (!row.Bind(1, project.id).Bind(2, analyzer_id).Bind(3, name).Step()) {
        TETHER_RETURN_IF_ERROR(row.status());
        return Status::NotFound("no output " + name + " of " + analyzer_id);
      }
      tether::StoredOutput stored;
      stored.output = tether::RepositoryOutput{name, row.Text(0), row.Text(1)};
      stored.updated_at = row.Text(2);
      return stored;
    });
  }

  // ---- Fencing ----

  // SQLite has one writer at a time, so a fence waits for a write in
  // progress (up to the busy timeout); a storage on a database with row
  // locks records the fence without waiting.
  Status Fence(const ProjectRef& project, int64_t epoch) override {
    return Guarded("Fence", [&]() -> Status {
      Db db;
      TETHER_RETURN_IF_ERROR(Db::Open(path_, &db));
      Stmt fence(&db,
                 "INSERT INTO cursors (project, tenant, fence) VALUES (?1, ?2, ?3) "
                 "ON CONFLICT (project) DO UPDATE SET fence = MAX(fence, excluded.fence)");
      return fence.Bind(1, project.id).Bind(2, project.tenant).Bind(3, epoch).Run();
    });
  }

  Result<std::unique_ptr<tether::StorageWriter>> BeginFencedWrite(const ProjectRef& project,
                                                                  const CommitId& expected_cursor,
                                                                  int64_t epoch) override {
    return Guarded("BeginWrite", [&]() -> Result<std::unique_ptr<tether::StorageWriter>> {
      auto db = std::make_unique<Db>();
      TETHER_RETURN_IF_ERROR(Db::Open(path_, db.get()));
      Result<CommitId> now = CursorOf(db.get(), project.id);
      if (!now.ok()) return now.status();
      if (*now != expected_cursor) {
        return Status::Conflict("sqlite-file-storage: the cursor of project " + std::to_string(project.id) +
                                " is '" + *now + "', not '" + expected_cursor + "'");
      }
      return std::unique_ptr<tether::StorageWriter>(new Writer(std::move(db), project, expected_cursor, epoch));
    });
  }

  // ---- Search ----

  Result<tether::TextPage> SearchText(const ProjectRef& project, const tether::TextQuery& query) override {
    return Guarded("SearchText", [&]() -> Result<tether::TextPage> {
      TETHER_RETURN_IF_ERROR(CheckTextQuery(query));
      Db db;
      TETHER_RETURN_IF_ERROR(Db::Open(path_, &db));
      // One read transaction: the cursor and the rows of one commit.
      TETHER_RETURN_IF_ERROR(db.Exec("BEGIN"));
      tether::TextPage page;
      Result<CommitId> cursor = CursorOf(&db, project.id);
      if (!cursor.ok()) return cursor.status();
      page.commit = *cursor;
      // This sample reads every document's content; a storage for large
      // projects answers from an index of 3-character sequences instead.
      Stmt rows(&db,
                "SELECT path, language, content FROM documents WHERE project = ?1 AND has_content = 1 "
                "AND path >= ?2 ORDER BY path");
      rows.Bind(1, project.id).Bind(2, query.path_prefix);
      std::string needle = query.text;
      for (char& c : needle) c = Fold(c, query.case_sensitive);
      while (rows.Step()) {
        const std::string path = rows.Text(0);
        if (!StartsWith(path, query.path_prefix)) break;
        if (!FindHits(path, rows.Text(1), rows.Text(2), needle, query, &page)) break;
      }
      TETHER_RETURN_IF_ERROR(rows.status());
      TETHER_RETURN_IF_ERROR(db.Exec("COMMIT"));  // ends the read transaction
      return page;
    });
  }

  // ---- Vectors ----

  Result<std::vector<std::string>> MissingVectors(const std::string& tenant, const std::string& space,
                                                  const std::vector<std::string>& hashes) override {
    return Guarded("MissingVectors", [&]() -> Result<std::vector<std::string>> {
      TETHER_RETURN_IF_ERROR(CheckSpace(space));
      Db db;
      TETHER_RETURN_IF_ERROR(Db::Open(path_, &db));
      std::vector<std::string> missing;
      for (const std::string& hash : hashes) {
        TETHER_RETURN_IF_ERROR(CheckHash(hash));
        Stmt row(&db, "SELECT 1 FROM vectors WHERE tenant = ?1 AND space = ?2 AND hash = ?3");
        if (!row.Bind(1, tenant).Bind(2, space).Bind(3, hash).Step()) missing.push_back(hash);
        TETHER_RETURN_IF_ERROR(row.status());
      }
      return missing;
    });
  }

  Status PutVectors(const std::string& tenant, const std::string& space,
                    const std::vector<tether::StoredVector>& vectors) override {
    return Guarded("PutVectors", [&]() -> Status {
      TETHER_RETURN_IF_ERROR(CheckSpace(space));
      Db db;
      TETHER_RETURN_IF_ERROR(Db::Open(path_, &db));
      Transaction transaction(&db);
      TETHER_RETURN_IF_ERROR(transaction.Begin());
      Stmt dims(&db, "SELECT dimensions FROM vectors WHERE tenant = ?1 AND space = ?2 LIMIT 1");
      int64_t dimensions = dims.Bind(1, tenant).Bind(2, space).Step() ? dims.Int(0) : 0;
      TETHER_RETURN_IF_ERROR(dims.status());
      for (const tether::StoredVector& vector : vectors) {
        TETHER_RETURN_IF_ERROR(CheckHash(vector.hash));
        if (vector.values.empty()) return Status::InvalidArgument("the vector of " + vector.hash + " is empty");
        for (float value : vector.values) {
          if (!(value == value) || value > 3.4e38f || value < -3.4e38f) {
            return Status::InvalidArgument("the vector of " + vector.hash + " holds a value that is not finite");
          }
        }
        if (dimensions == 0) dimensions = static_cast<int64_t>(vector.values.size());
        if (static_cast<int64_t>(vector.values.size()) != dimensions) {
          return Status::InvalidArgument("the vector of " + vector.hash + " has " +
                                         std::to_string(vector.values.size()) + " dimensions; space " + space +
                                         " holds vectors of " + std::to_string(dimensions));
        }
        Stmt put(&db, "INSERT OR IGNORE INTO vectors VALUES (?1, ?2, ?3, ?4, ?5)");
        put.Bind(1, tenant).Bind(2, space).Bind(3, vector.hash).Bind(4, dimensions);
        TETHER_RETURN_IF_ERROR(put.BindBlob(5, vector.values.data(), vector.values.size() * sizeof(float)).Run());
      }
      return transaction.Commit();
    });
  }

  Result<std::vector<tether::StoredVector>> GetVectors(const std::string& tenant, const std::string& space,
                                                       const std::vector<std::string>& hashes) override {
    return Guarded("GetVectors", [&]() -> Result<std::vector<tether::StoredVector>> {
      TETHER_RETURN_IF_ERROR(CheckSpace(space));
      Db db;
      TETHER_RETURN_IF_ERROR(Db::Open(path_, &db));
      std::vector<tether::StoredVector> out;
      for (const std::string& hash : hashes) {
        Stmt row(&db, "SELECT vector FROM vectors WHERE tenant = ?1 AND space = ?2 AND hash = ?3");
        if (row.Bind(1, tenant).Bind(2, space).Bind(3, hash).Step()) {
          const std::string bytes = row.Text(0);
          tether::StoredVector vector{hash, std::vector<float>(bytes.size() / sizeof(float))};
          std::copy(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(vector.values.size() * sizeof(float)),
                    reinterpret_cast<char*>(vector.values.data()));
          out.push_back(std::move(vector));
        }
        TETHER_RETURN_IF_ERROR(row.status());
      }
      return out;
    });
  }

 private:
  static constexpr const char* kNoResult = "no result";

  static Result<CommitId> CursorOf(Db* db, int64_t project) {
    Stmt cursor(db, "SELECT commit_id FROM cursors WHERE project = ?1");
    const std::string commit = cursor.Bind(1, project).Step() ? cursor.Text(0) : "";
    TETHER_RETURN_IF_ERROR(cursor.status());
    return commit;
  }

  static tether::StoredDocument DocumentRow(const Stmt& row) {
    tether::StoredDocument d;
    d.entry.path = row.Text(0);
    d.entry.blob_id = row.Text(1);
    d.entry.mode = static_cast<uint32_t>(row.Int(2));
    d.entry.kind = static_cast<tether::EntryKind>(row.Int(3));
    d.size = static_cast<uint64_t>(row.Int(4));
    d.is_binary = row.Int(5) != 0;
    d.language = row.Text(6);
    d.has_content = row.Int(7) != 0;
    d.updated_commit = row.Text(8);
    d.updated_at = row.Text(9);
    return d;
  }

  // The final result for `file`'s blob, or kFailed "no result".
  static Result<AnalysisResult> ResultOf(Db* db, const std::string& tenant, const AnalyzerKey& key,
                                         const tether::RepositoryFile& file) {
    AnalysisResult result;
    result.blob_id = file.blob_id;
    result.language = file.language;
    Stmt row(db,
             "SELECT outcome, reason, retry, data FROM analysis WHERE tenant = ?1 AND analyzer = ?2 AND "
             "version = ?3 AND settings_hash = ?4 AND blob_id = ?5 AND language = ?6 AND outcome IS NOT NULL");
    BindKey(&row, 1, tenant, key);
    if (!row.Bind(5, file.blob_id).Bind(6, file.language).Step()) {
      TETHER_RETURN_IF_ERROR(row.status());
      result.outcome = tether::AnalysisOutcome::kFailed;
      result.reason = kNoResult;
      return result;
    }
    result.outcome = static_cast<tether::AnalysisOutcome>(row.Int(0));
    result.reason = row.Text(1);
    result.retry = row.Int(2) != 0;
    result.data = row.Text(3);
    Stmt symbols(db,
                 "SELECT name, kind, start_line, end_line, signature, parent, doc FROM symbols WHERE tenant = ?1 "
                 "AND analyzer = ?2 AND version = ?3 AND settings_hash = ?4 AND blob_id = ?5 AND language = ?6 "
                 "ORDER BY ordinal");
    BindKey(&symbols, 1, tenant, key);
    symbols.Bind(5, file.blob_id).Bind(6, file.language);
    while (symbols.Step()) {
      tether::Symbol s;
      s.name = symbols.Text(0);
      s.kind = symbols.Text(1);
      s.start_line = static_cast<int32_t>(symbols.Int(2));
      s.end_line = static_cast<int32_t>(symbols.Int(3));
      s.signature = symbols.Text(4);
      s.parent = symbols.Text(5);
      s.doc = symbols.Text(6);
      result.symbols.push_back(std::move(s));
    }
    TETHER_RETURN_IF_ERROR(symbols.status());
    return result;
  }

  // SymbolQuery's match of `name` against `text`: 0 the whole name, 1 a
  // prefix of it, 2 a prefix of a sub-token; -1 none. Case-insensitive.
  static int Match(const std::string& name, const std::string& text) {
    auto lower = [](std::string s) {
      for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return s;
    };
    const std::string n = lower(name);
    const std::string t = lower(text);
    if (n == t) return 0;
    if (StartsWith(n, t)) return 1;
    for (size_t i = 1; i < name.size(); ++i) {
      const unsigned char before = static_cast<unsigned char>(name[i - 1]);
      const unsigned char here = static_cast<unsigned char>(name[i]);
      const bool separator = before == '_' || before == '-' || before == '.' || before == ':';
      const bool digit_edge = std::isdigit(here) != std::isdigit(before);
      const bool case_edge = std::islower(before) && std::isupper(here);
      if ((separator || digit_edge || case_edge) && StartsWith(n.substr(i), t)) return 2;
    }
    return -1;
  }

  static Status CheckTextQuery(const tether::TextQuery& query) {
    if (query.limit < 1 || query.limit > 1000) return Status::InvalidArgument("the limit must be 1 to 1000");
    if (query.text.size() > tether::kTextQueryMaxBytes) {
      return Status::InvalidArgument("the text is longer than " + std::to_string(tether::kTextQueryMaxBytes) +
                                     " bytes");
    }
    size_t characters = 0;
    for (size_t i = 0; i < query.text.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(query.text[i]);
      if (c == 0) return Status::InvalidArgument("the text holds a NUL byte");
      if ((c & 0xC0) != 0x80) ++characters;
    }
    if (characters < static_cast<size_t>(tether::kTextQueryMinChars)) {
      return Status::InvalidArgument("the text must be at least " + std::to_string(tether::kTextQueryMinChars) +
                                     " characters");
    }
    return Status::Ok();
  }

  // Adds the hits of `needle` (folded) in `content`; false once the page is
  // full (page.more is then set).
  static bool FindHits(const std::string& path, const std::string& language, const std::string& content,
                       const std::string& needle, const tether::TextQuery& query, tether::TextPage* page) {
    std::string folded = content;
    for (char& c : folded) c = Fold(c, query.case_sensitive);
    int64_t line = 1;
    size_t line_start = 0;
    size_t scanned = 0;
    for (size_t at = folded.find(needle); at != std::string::npos; at = folded.find(needle, at + 1)) {
      for (; scanned < at; ++scanned) {
        if (content[scanned] == '\n') {
          ++line;
          line_start = scanned + 1;
        }
      }
      if (!page->hits.empty() && page->hits.back().path == path && page->hits.back().start_line == line) {
        ++page->hits.back().matches;
        continue;
      }
      if (page->hits.size() == static_cast<size_t>(query.limit)) {
        page->more = true;
        return false;
      }
      const size_t end = at + needle.size();
      int64_t end_line = line;
      for (size_t i = at; i < end; ++i) end_line += content[i] == '\n' ? 1 : 0;
      size_t line_end = content.find('\n', end > at ? end - 1 : at);
      if (line_end == std::string::npos) line_end = content.size();
      std::string lines = content.substr(line_start, line_end - line_start);
      if (!lines.empty() && lines.back() == '\r') lines.pop_back();
      tether::TextHit hit;
      hit.path = path;
      hit.language = language;
      hit.start_line = line;
      hit.end_line = end_line;
      hit.matches = 1;
      hit.snippet = Window(lines, at - line_start, tether::kTextSnippetMaxBytes);
      page->hits.push_back(std::move(hit));
    }
    return true;
  }

  static Status CheckSpace(const std::string& space) {
    const bool ok = !space.empty() && space.size() <= 128 &&
                    std::all_of(space.begin(), space.end(), [](char c) { return c > ' ' && c < 0x7f; });
    return ok ? Status::Ok() : Status::InvalidArgument("the space '" + space + "' is not 1 to 128 printable bytes");
  }

  static Status CheckHash(const std::string& hash) {
    const bool ok = hash.size() == 64 && std::all_of(hash.begin(), hash.end(), [](char c) {
                      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                    });
    return ok ? Status::Ok() : Status::InvalidArgument("'" + hash.substr(0, 80) + "' is not a SHA-256 in hex");
  }

  const std::string path_;
};

// {"path": "..."} or nothing; the settings are small enough to read by
// hand here (a bigger plugin would parse them with a JSON library).
Result<std::string> StoragePath(const tether::PluginContext& context) {
  const std::string& json = context.settings_json;
  const size_t key = json.find("\"path\"");
  if (key != std::string::npos) {
    const size_t begin = json.find('"', json.find(':', key) + 1);
    const size_t end = begin == std::string::npos ? begin : json.find('"', begin + 1);
    const std::string path = end == std::string::npos ? "" : json.substr(begin + 1, end - begin - 1);
    if (path.empty() || path[0] != '/') {
      return Status::InvalidArgument("settings of " + context.name + ": \"path\" must be an absolute file path");
    }
    return path;
  }
  if (json.find_first_not_of(" \t\r\n{}") != std::string::npos && json != "null") {
    return Status::InvalidArgument("settings of " + context.name + ": the only setting is \"path\"");
  }
  const std::string sqlite = "sqlite:";
  if (StartsWith(context.database_url, sqlite) && context.database_url.size() > sqlite.size()) {
    return context.database_url.substr(sqlite.size()) + "." + context.name;
  }
  return Status::InvalidArgument("settings of " + context.name +
                                 ": give a \"path\" for the storage's file (the engine's database is not a "
                                 "SQLite file to put it beside)");
}

Result<std::unique_ptr<tether::Plugin>> Create(const tether::PluginContext& context) {
  return Guarded("Create", [&]() -> Result<std::unique_ptr<tether::Plugin>> {
    Result<std::string> path = StoragePath(context);
    if (!path.ok()) return path.status();
    auto storage = std::make_unique<SqliteFileStorage>(*path);
    TETHER_RETURN_IF_ERROR(storage->Init());
    return std::unique_ptr<tether::Plugin>(std::move(storage));
  });
}

}  // namespace
}  // namespace sqlite_file_storage

TETHER_PLUGIN(TETHER_PLUGIN_STORAGE, "sqlite-file-storage", "0.1.0",
              "Keeps synced documents, analysis results and outputs in a SQLite file of its own",
              sqlite_file_storage::Create)

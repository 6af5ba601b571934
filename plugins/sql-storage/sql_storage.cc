// sql-storage: the Storage interface on the tables `documents`,
// `storage_cursors`, `storage_fences`, `analysis_results`, `analysis_symbols`,
// the repository steps' tables and the text index `documents_text` (SQLite;
// a pg_trgm index of the documents flagged text_indexed on PostgreSQL) of the
// engine's database, through SOCI. They are this plugin's: the engine reads
// them only through the Storage interface.
//
// Every StorageWriter is one transaction on its own session: the change set
// and the new cursor commit together or not at all. Statements are prepared
// once per writer and executed per change, so a write costs one execution
// per changed file, and nothing for unchanged ones. A fenced write
// (BeginFencedWrite) reads `storage_fences` at its commit and is refused
// when a newer lease epoch was fenced since it began.
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>
#include <soci/soci.h>

#include "shared/clock.h"
#include "shared/row_values.h"
#include "shared/sql_connect.h"
#include "shared/sqlite_write_behind.h"
#include "analysis_store.h"
#include "repository_store.h"
#include "vector_store.h"
#include "pg_batch.h"
#include "text_search.h"
#include "trigrams_once.h"
#include "tenant_binding.h"
#include "tether/plugin.h"
#include "tether/storage.h"

namespace tether::sql_storage {
namespace {

using db::Dialect;

Status CurrentExceptionStatus(const std::string& what) { return db::StatusFromCurrentException(what); }

// A session of this plugin's; on SQLite, with the text index's tokenizer
// filtered (trigrams_once.h).
Result<std::unique_ptr<soci::session>> OpenSession(const std::string& url) {
  Result<std::unique_ptr<soci::session>> session = db::OpenSociSession(url, /*busy_timeout_ms=*/30000);
  if (!session.ok()) return session;
  try {
    TETHER_RETURN_IF_ERROR(UseTrigramsOnce(**session));
  } catch (...) {
    return CurrentExceptionStatus("opening the text index's tokenizer");
  }
  return session;
}

// Whether `text` is one JSON object: the analyzer's data as stored and
// served.
bool IsJsonObject(const std::string& text) {
  rapidjson::Document document;
  document.Parse(text.data(), text.size());
  return !document.HasParseError() && document.IsObject();
}

EntryKind KindFromName(const std::string& name) {
  if (name == "executable") return EntryKind::kExecutable;
  if (name == "symlink") return EntryKind::kSymlink;
  if (name == "submodule") return EntryKind::kSubmodule;
  return EntryKind::kFile;
}


// Reads the cursor: empty when the project never synced.
CommitId ReadCursorOn(soci::session& session, long long project_id, bool for_update) {
  std::string cursor;
  soci::indicator ind = soci::i_null;
  std::string sql = "SELECT commit_id FROM storage_cursors WHERE project_id = :id";
  if (for_update) sql += " FOR UPDATE";
  soci::statement st = (session.prepare << sql, soci::use(project_id), soci::into(cursor, ind));
  st.execute(false);
  if (!st.fetch() || ind == soci::i_null) return CommitId();
  return cursor;
}

// The derived data a documents row can hold, by its SDK name and column.
struct DerivedColumn {
  const char* name;
  const char* column;
};
constexpr DerivedColumn kDerived[] = {{"embedding", "embedding"}};

// The columns a StoredDocument is read from (RowToDocument's order).
std::string DocumentColumns() {
  std::string columns =
      "path, blob_sha, mode, kind, size, is_binary, language, CASE WHEN content IS NULL THEN 0 ELSE 1 END,"
      " updated_commit, updated_at";
  for (const DerivedColumn& d : kDerived) {
    columns += std::string(", CASE WHEN ") + d.column + " IS NULL THEN 0 ELSE 1 END";
  }
  return columns;
}

StoredDocument RowToDocument(const soci::row& row) {
  StoredDocument d;
  d.entry.path = db::RowText(row, 0);
  d.entry.blob_id = db::RowText(row, 1);
  d.entry.mode = static_cast<uint32_t>(db::RowInt(row, 2));
  d.entry.kind = KindFromName(db::RowText(row, 3));
  d.size = static_cast<uint64_t>(db::RowInt(row, 4));
  d.is_binary = db::RowInt(row, 5) != 0;
  d.language = db::RowText(row, 6);
  d.has_content = db::RowInt(row, 7) != 0;
  d.updated_commit = db::RowText(row, 8);
  d.updated_at = db::RowText(row, 9);
  size_t i = 10;
  for (const DerivedColumn& derived : kDerived) {
    if (db::RowInt(row, i++) != 0) d.derived.push_back(derived.name);
  }
  return d;
}

// One write transaction on its own session. On SQLite each change runs a
// prepared statement (no round trips in-process); on PostgreSQL upserts and
// deletes go in batches (PgBatch). Renames run one at a time on both.
//
// On SQLite a file is stored by an insert that does nothing when the path
// has a row, then an update of that row; a new row with content is named in
// documents_text_pending by the writer (0018). No statement of the insert
// has a trigger, so SQLite needs no statement journal for it, and the
// session keeps what journal it needs in memory.
class SqlWriter : public StorageWriter {
 public:
  // `epoch`: the lease epoch the write is made under (BeginFencedWrite);
  // negative: not fenced (BeginWrite).
  SqlWriter(std::unique_ptr<soci::session> session, Dialect dialect, long long project_id, long long epoch)
      : session_(std::move(session)), dialect_(dialect), project_id_(project_id), epoch_(epoch),
        now_(NowIso8601()) {}

  ~SqlWriter() override {
    if (!open_) return;
    batch_.reset();  // ends a COPY in progress first
    try {
      *session_ << "ROLLBACK";
    } catch (...) {
      // Closing the session discards the transaction anyway.
    }
  }

  Status Begin(const std::string& tenant, const CommitId& expected_cursor) {
    try {
      if (dialect_ == Dialect::kSqlite) {
        // The update trigger's statement journal in memory, not in a
        // temporary file written page by page; a cache for the random
        // pages of documents_by_blob.
        *session_ << "PRAGMA temp_store = MEMORY";
        *session_ << "PRAGMA cache_size = -8192";
      }
      *session_ << (dialect_ == Dialect::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN");
      open_ = true;
      // Once the write lock is this write's (not while it waits for it):
      // the disk writes the WAL as it grows, and the database file during
      // COMMIT's checkpoint, rather than all at their fsyncs (a first sync
      // of 100,000 files: 0.25 s of 2.4 s).
      if (dialect_ == Dialect::kSqlite) write_behind_ = db::StartWriteBehind(*session_);
      BindTenant(*session_, dialect_, tenant, /*local=*/true);
      // The cursor row exists from the first write on, so that concurrent
      // writers of one project queue on it (PostgreSQL: the insert of a
      // second writer waits for the first one's transaction).
      *session_ << "INSERT INTO storage_cursors (project_id, commit_id, updated_at) VALUES (:p, '', :t)"
                   " ON CONFLICT (project_id) DO NOTHING",
          soci::use(project_id_), soci::use(now_);
      CommitId cursor = ReadCursorOn(*session_, project_id_, dialect_ == Dialect::kPostgres);
      if (cursor != expected_cursor) {
        return Status::Conflict("sql-storage: the project's cursor moved to " +
                                (cursor.empty() ? std::string("nothing") : cursor) +
                                " since it was read; another run got there first");
      }
      if (dialect_ == Dialect::kPostgres && expected_cursor.empty()) {
        // COPY is for a project's first write, and PostgreSQL refuses COPY
        // FROM into a table whose row-level security applies to this role.
        int rows = 0, rls = 0;
        *session_ << "SELECT COUNT(*) FROM (SELECT 1 FROM documents WHERE project_id = :p LIMIT 1) AS any_row",
            soci::use(project_id_), soci::into(rows);
        *session_ << "SELECT CASE WHEN row_security_active('documents') THEN 1 ELSE 0 END", soci::into(rls);
        first_write_ = rows == 0 && rls == 0;
      }
      Prepare();
    } catch (...) {
      return CurrentExceptionStatus("sql-storage: cannot begin the write");
    }
    return Status::Ok();
  }

  Status Apply(const Change& change, const Document* document, const CommitId& commit) override {
    if (!open_) return Status::Internal("sql-storage: writer already finished");
    try {
      commit_ = commit;
      SetRow(change.entry, document);
      switch (change.kind) {
        case ChangeKind::kDeleted:
          if (batch_) batch_->AddDelete(row_.path);
          else delete_->execute(true);
          return Status::Ok();
        case ChangeKind::kRenamed:
          return Rename(change, document);
        case ChangeKind::kAdded:
        case ChangeKind::kModified:
          if (document == nullptr) return Status::InvalidArgument("sql-storage: no document for " + change.entry.path);
          Upsert();
          return Status::Ok();
      }
    } catch (...) {
      return CurrentExceptionStatus("sql-storage: cannot write \"" + change.entry.path + "\"");
    }
    return Status::Internal("sql-storage: unknown change kind");
  }

  Status Commit(const CommitId& new_cursor) override {
    if (!open_) return Status::Internal("sql-storage: writer already finished");
    try {
      if (batch_) batch_->Flush();
      if (epoch_ >= 0) {
        // Read under a share lock (PostgreSQL): a Fence arriving now waits
        // for this commit, and one that came first is seen here.
        long long fenced = 0;
        soci::indicator fenced_ind = soci::i_null;
        *session_ << std::string("SELECT epoch FROM storage_fences WHERE project_id = :p") +
                         (dialect_ == Dialect::kPostgres ? " FOR SHARE" : ""),
            soci::use(project_id_), soci::into(fenced, fenced_ind);
        if (session_->got_data() && fenced_ind == soci::i_ok && fenced > epoch_) {
          return Status::Conflict("sql-storage: the project was taken over by a newer run (lease epoch " +
                                  std::to_string(fenced) + ", this write's " + std::to_string(epoch_) +
                                  "); nothing of this write was committed");
        }
      }
      std::string cursor = new_cursor;
      *session_ << "UPDATE storage_cursors SET commit_id = :c, updated_at = :t WHERE project_id = :id",
          soci::use(cursor), soci::use(now_), soci::use(project_id_);
      // Statements hold read cursors on SQLite; finish them before COMMIT.
      insert_.reset();
      update_.reset();
      pending_.reset();
      delete_.reset();
      move_.reset();
      *session_ << "COMMIT";
      open_ = false;
      write_behind_.reset();
    } catch (...) {
      return CurrentExceptionStatus("sql-storage: cannot commit");
    }
    return Status::Ok();
  }

 private:
  void Prepare() {
    soci::session& s = *session_;
    if (dialect_ == Dialect::kPostgres) {
      batch_ = std::make_unique<PgBatch>(&s, project_id_, &commit_, now_, first_write_);
    } else {
      insert_ = std::make_unique<soci::statement>(
          (s.prepare << "INSERT INTO documents (project_id, path, blob_sha, mode, kind, size, is_binary,"
                        " content, language, embedding, updated_commit, updated_at)"
                        " VALUES (:p, :path, :blob, :mode, :kind, :size, :bin, :content, :lang, NULL, :c, :t)"
                        " ON CONFLICT (project_id, path) DO NOTHING",
           soci::use(project_id_), soci::use(row_.path), soci::use(row_.blob), soci::use(row_.mode),
           soci::use(row_.kind), soci::use(row_.size), soci::use(row_.is_binary),
           soci::use(row_.content, content_ind_), soci::use(row_.language, language_ind_), soci::use(commit_),
           soci::use(now_)));
      // A changed blob clears the derived columns (embedding), which
      // describe the old content; a mode-only change keeps them. (SET reads
      // the row as it was.)
      update_ = std::make_unique<soci::statement>(
          (s.prepare << "UPDATE documents SET embedding = CASE WHEN blob_sha = :old_blob THEN embedding ELSE NULL END,"
                        " blob_sha = :blob, mode = :mode, kind = :kind, size = :size, is_binary = :bin,"
                        " content = :content, language = :lang, updated_commit = :c, updated_at = :t"
                        " WHERE project_id = :p AND path = :path",
           soci::use(row_.blob), soci::use(row_.blob), soci::use(row_.mode), soci::use(row_.kind),
           soci::use(row_.size), soci::use(row_.is_binary), soci::use(row_.content, content_ind_),
           soci::use(row_.language, language_ind_), soci::use(commit_), soci::use(now_), soci::use(project_id_),
           soci::use(row_.path)));
      pending_ = std::make_unique<soci::statement>(
          (s.prepare << "INSERT INTO documents_text_pending (id, project_id) VALUES (last_insert_rowid(), :p)",
           soci::use(project_id_)));
      delete_ = std::make_unique<soci::statement>(
          (s.prepare << "DELETE FROM documents WHERE project_id = :p AND path = :path", soci::use(project_id_),
           soci::use(row_.path)));
    }
    // The row moves with every column (embedding included).
    move_ = std::make_unique<soci::statement>(
        (s.prepare << "UPDATE documents SET path = :path, mode = :mode, kind = :kind, updated_commit = :c,"
                      " updated_at = :t WHERE project_id = :p AND path = :old AND blob_sha = :blob",
         soci::use(row_.path), soci::use(row_.mode), soci::use(row_.kind), soci::use(commit_), soci::use(now_),
         soci::use(project_id_), soci::use(old_path_), soci::use(row_.blob)));
  }

  void SetRow(const Entry& entry, const Document* document) {
    row_.path = entry.path;
    row_.blob = entry.blob_id;
    row_.mode = entry.mode;
    row_.kind = EntryKindName(entry.kind);
    row_.size = document ? static_cast<long long>(document->size) : 0;
    row_.is_binary = document && document->is_binary ? 1 : 0;
    row_.has_content = document && document->has_content;
    row_.content = row_.has_content ? document->content : std::string();
    row_.language = document ? document->language : std::string();
    row_.has_language = !row_.language.empty();
    content_ind_ = row_.has_content ? soci::i_ok : soci::i_null;
    language_ind_ = row_.has_language ? soci::i_ok : soci::i_null;
  }

  void Upsert() {
    if (batch_) {
      batch_->AddUpsert(row_);
      return;
    }
    insert_->execute(true);
    if (insert_->get_affected_rows() == 0) {
      update_->execute(true);
      return;
    }
    if (row_.has_content) pending_->execute(true);
  }

  Status Rename(const Change& change, const Document* document) {
    if (batch_) batch_->Flush();  // the row to move may still be pending
    // Whatever stood at the new path is replaced by the moved row.
    *session_ << "DELETE FROM documents WHERE project_id = :p AND path = :path", soci::use(project_id_),
        soci::use(row_.path);
    old_path_ = change.old_path;
    move_->execute(true);
    if (move_->get_affected_rows() == 1) return Status::Ok();
    // Nothing to move (the old row is missing or holds another blob):
    // store the file as new.
    if (document == nullptr) {
      return Status::NotFound("sql-storage: no row at \"" + change.old_path + "\" to move to \"" +
                              change.entry.path + "\"");
    }
    Upsert();
    return Status::Ok();
  }

  std::unique_ptr<soci::session> session_;
  Dialect dialect_;
  long long project_id_;
  long long epoch_;
  bool open_ = false;
  bool first_write_ = false;  // PostgreSQL: the project has no rows yet
  std::string commit_;
  std::string now_;
  std::unique_ptr<PgBatch> batch_;  // PostgreSQL only
  std::unique_ptr<db::WriteBehind> write_behind_;  // SQLite, until COMMIT
  std::unique_ptr<soci::statement> insert_, update_, pending_, delete_, move_;  // SQLite but move_
  // Bound variables of the prepared statements.
  DocumentRow row_;
  std::string old_path_;
  soci::indicator content_ind_ = soci::i_null, language_ind_ = soci::i_null;
};

class SqlStorage : public Storage {
 public:
  SqlStorage(std::string url, Dialect dialect)
      : url_(std::move(url)),
        dialect_(dialect),
        analysis_(dialect),
        repository_(dialect),
        text_(dialect),
        vectors_(dialect) {}

  Result<CommitId> ReadCursor(const ProjectRef& project) override {
    std::lock_guard<std::mutex> lock(mutex_);
    TETHER_RETURN_IF_ERROR(OpenReader());
    try {
      BindTenant(*reader_, dialect_, project.tenant, /*local=*/false);
      return ReadCursorOn(*reader_, project.id, false);
    } catch (...) {
      return CurrentExceptionStatus("sql-storage: cannot read the cursor");
    }
  }

  Status ListEntries(const ProjectRef& project, EntrySink* sink) override {
    std::lock_guard<std::mutex> lock(mutex_);
    TETHER_RETURN_IF_ERROR(OpenReader());
    long long id = project.id;
    try {
      BindTenant(*reader_, dialect_, project.tenant, /*local=*/false);
      soci::rowset<soci::row> rows =
          (reader_->prepare << "SELECT path, blob_sha, mode, kind FROM documents WHERE project_id = :p",
           soci::use(id));
      for (const soci::row& row : rows) {
        Entry entry;
        entry.path = row.get<std::string>(0);
        entry.blob_id = row.get<std::string>(1);
        entry.mode = static_cast<uint32_t>(db::RowInt(row, 2));
        entry.kind = KindFromName(row.get<std::string>(3));
        TETHER_RETURN_IF_ERROR(sink->OnEntry(entry));
      }
    } catch (...) {
      return CurrentExceptionStatus("sql-storage: cannot list documents");
    }
    return Status::Ok();
  }

  Result<std::unique_ptr<StorageWriter>> BeginWrite(const ProjectRef& project,
                                                    const CommitId& expected_cursor) override {
    return Begin(project, expected_cursor, -1);
  }

  Result<std::unique_ptr<StorageWriter>> BeginFencedWrite(const ProjectRef& project, const CommitId& expected_cursor,
                                                          int64_t epoch) override {
    if (epoch < 0) return Status::InvalidArgument("sql-storage: a lease epoch is 0 or more, not " + std::to_string(epoch));
    return Begin(project, expected_cursor, epoch);
  }

  Status Fence(const ProjectRef& project, int64_t epoch) override {
    std::lock_guard<std::mutex> lock(writer_mutex_);
    long long id = project.id, at = epoch;
    try {
      TETHER_RETURN_IF_ERROR(OpenAnalysisWriter());
      BindTenant(*analysis_writer_, dialect_, project.tenant, /*local=*/false);
      // Its own table: a write in progress locks the cursor row, never this
      // one (but for the instant of its commit).
      *analysis_writer_ << "INSERT INTO storage_fences (project_id, epoch) VALUES (:p, :e)"
                           " ON CONFLICT (project_id) DO UPDATE SET epoch = excluded.epoch"
                           " WHERE storage_fences.epoch < excluded.epoch",
          soci::use(id), soci::use(at);
    } catch (...) {
      Status failed = CurrentExceptionStatus("sql-storage: cannot fence the project's older writes");
      analysis_writer_.reset();  // it may be broken; the next call opens another
      return failed;
    }
    return Status::Ok();
  }

  Result<StorageCounts> Counts(const ProjectRef& project) override {
    std::lock_guard<std::mutex> lock(mutex_);
    TETHER_RETURN_IF_ERROR(OpenReader());
    long long id = project.id;
    StorageCounts counts;
    try {
      BindTenant(*reader_, dialect_, project.tenant, /*local=*/false);
      soci::row row;
      std::string sql =
          "SELECT COUNT(*), COALESCE(SUM(CASE WHEN content IS NOT NULL THEN 1 ELSE 0 END), 0),"
          " COALESCE(SUM(is_binary), 0), COALESCE(SUM(size), 0)";
      for (const DerivedColumn& d : kDerived) {
        sql += std::string(", COALESCE(SUM(CASE WHEN ") + d.column + " IS NOT NULL THEN 1 ELSE 0 END), 0)";
      }
      *reader_ << sql + " FROM documents WHERE project_id = :p", soci::use(id), soci::into(row);
      counts.documents = db::RowInt(row, 0);
      counts.with_content = db::RowInt(row, 1);
      counts.binary = db::RowInt(row, 2);
      counts.total_bytes = db::RowInt(row, 3);
      size_t i = 4;
      for (const DerivedColumn& d : kDerived) counts.derived.push_back({d.name, db::RowInt(row, i++)});
    } catch (...) {
      return CurrentExceptionStatus("sql-storage: cannot count documents");
    }
    return counts;
  }

  Result<DocumentPage> ListDocuments(const ProjectRef& project, const DocumentQuery& query) override {
    if (query.limit < 1) return Status::InvalidArgument("sql-storage: a page holds at least one document");
    std::lock_guard<std::mutex> lock(mutex_);
    TETHER_RETURN_IF_ERROR(OpenReader());
    long long id = project.id, fetch = static_cast<long long>(query.limit) + 1;  // one more: is there a next page?
    std::string after = query.after, prefix = query.path_prefix;
    DocumentPage page;
    try {
      BindTenant(*reader_, dialect_, project.tenant, /*local=*/false);
      // substr and length count characters on both databases, the same way
      // on both sides of the comparison.
      soci::rowset<soci::row> rows =
          (reader_->prepare << "SELECT " + DocumentColumns() +
                                   " FROM documents WHERE project_id = :p AND path > :a"
                                   " AND substr(path, 1, length(CAST(:x AS TEXT))) = CAST(:y AS TEXT) ORDER BY path LIMIT :l",
           soci::use(id), soci::use(after), soci::use(prefix), soci::use(prefix), soci::use(fetch));
      for (const soci::row& row : rows) page.documents.push_back(RowToDocument(row));
    } catch (...) {
      return CurrentExceptionStatus("sql-storage: cannot list documents");
    }
    if (page.documents.size() > static_cast<size_t>(query.limit)) {
      page.documents.pop_back();
      page.more = true;
    }
    return page;
  }

  Result<StoredDocument> GetDocument(const ProjectRef& project, const std::string& path) override {
    std::lock_guard<std::mutex> lock(mutex_);
    TETHER_RETURN_IF_ERROR(OpenReader());
    long long id = project.id;
    std::string wanted = path;
    try {
      BindTenant(*reader_, dialect_, project.tenant, /*local=*/false);
      soci::rowset<soci::row> rows =
          (reader_->prepare << "SELECT " + DocumentColumns() +
                                   ", content FROM documents WHERE project_id = :p AND path = :path",
           soci::use(id), soci::use(wanted));
      for (const soci::row& row : rows) {
        StoredDocument d = RowToDocument(row);
        if (d.has_content) d.content = db::RowText(row, 10 + std::size(kDerived));
        return d;
      }
    } catch (...) {
      return CurrentExceptionStatus("sql-storage: cannot read a document");
    }
    return Status::NotFound("no document \"" + path + "\" in this project");
  }

  Status DeleteProject(const ProjectRef& project) override {
    Result<std::unique_ptr<soci::session>> opened = OpenSession(url_);
    if (!opened.ok()) return opened.status();
    soci::session& session = **opened;
    long long id = project.id;
    try {
      session << (dialect_ == Dialect::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN");
      BindTenant(session, dialect_, project.tenant, /*local=*/true);
      session << "DELETE FROM documents WHERE project_id = :p", soci::use(id);
      session << "DELETE FROM storage_cursors WHERE project_id = :p", soci::use(id);
      session << "DELETE FROM storage_fences WHERE project_id = :p", soci::use(id);
      repository_.DeleteProject(session, id);
      session << "COMMIT";
    } catch (...) {
      Status failed = CurrentExceptionStatus("sql-storage: cannot forget project " + std::to_string(project.id));
      try {
        session << "ROLLBACK";
      } catch (...) {
        // Closing the session discards the transaction anyway.
      }
      return failed;
    }
    return Status::Ok();
  }

  Result<AnalysisWorkPage> ListAnalysisWork(const ProjectRef& project, const AnalyzerKey& key,
                                            const AnalysisWorkQuery& query) override {
    if (query.limit < 1) return Status::InvalidArgument("sql-storage: a page holds at least one blob");
    std::lock_guard<std::mutex> lock(mutex_);
    TETHER_RETURN_IF_ERROR(OpenReader());
    try {
      BindTenant(*reader_, dialect_, project.tenant, /*local=*/false);
      return analysis_.ListWork(*reader_, project, key, query);
    } catch (...) {
      return CurrentExceptionStatus("sql-storage: cannot list the blobs to analyse with " + key.id);
    }
  }

  Status MarkAnalysisStarted(const ProjectRef& project, const AnalyzerKey& key,
                             const std::vector<AnalysisWork>& work, const std::string& owner) override {
    std::lock_guard<std::mutex> lock(writer_mutex_);
    try {
      TETHER_RETURN_IF_ERROR(OpenAnalysisWriter());
      analysis_.MarkStarted(*analysis_writer_, project.tenant, key, work, owner);
    } catch (...) {
      Status failed = CurrentExceptionStatus("sql-storage: cannot mark blobs as being analysed with " + key.id);
      analysis_writer_.reset();  // it may be broken; the next call opens another
      return failed;
    }
    return Status::Ok();
  }

  Status PutAnalysisResults(const ProjectRef& project, const AnalyzerKey& key,
                            const std::vector<AnalysisResult>& results) override {
    for (const AnalysisResult& result : results) {
      if (result.outcome == AnalysisOutcome::kAnalyzed && !IsJsonObject(result.data)) {
        return Status::InvalidArgument("sql-storage: the " + key.id + " result of blob " + result.blob_id +
                                       " is not a JSON object");
      }
    }
    std::lock_guard<std::mutex> lock(writer_mutex_);
    try {
      TETHER_RETURN_IF_ERROR(OpenAnalysisWriter());
      analysis_.Put(*analysis_writer_, project.tenant, key, results);
    } catch (...) {
      Status failed = CurrentExceptionStatus("sql-storage: cannot store " + key.id + " results");
      analysis_writer_.reset();  // it may be broken; the next call opens another
      return failed;
    }
    return Status::Ok();
  }

  Result<AnalysisResult> GetAnalysis(const ProjectRef& project, const AnalyzerKey& key,
                                     const std::string& path) override {
    std::lock_guard<std::mutex> lock(mutex_);
    TETHER_RETURN_IF_ERROR(OpenReader());
    std::optional<AnalysisResult> found;
    try {
      BindTenant(*reader_, dialect_, project.tenant, /*local=*/false);
      found = analysis_.Get(*reader_, project, key, path);
    } catch (...) {
      return CurrentExceptionStatus("sql-storage: cannot read the " + key.id + " result of \"" + path + "\"");
    }
    if (!found) return Status::NotFound("no " + key.id + " result for \"" + path + "\" in this project");
    return *std::move(found);
  }

  Result<AnalysisCounts> CountAnalysis(const ProjectRef& project, const AnalyzerKey& key) override {
    std::lock_guard<std::mutex> lock(mutex_);
    TETHER_RETURN_IF_ERROR(OpenReader());
    try {
      BindTenant(*reader_, dialect_, project.tenant, /*local=*/false);
      return analysis_.Count(*reader_, project, key);
    } catch (...) {
      return CurrentExceptionStatus("sql-storage: cannot count " + key.id + " results");
    }
  }

  Result<SymbolPage> SearchSymbols(const ProjectRef& project, const SymbolQuery& query) override {
    if (query.limit < 1 || query.limit > 1000) {
      return Status::InvalidArgument("sql-storage: a symbol search returns 1 to 1000 hits");
    }
    std::lock_guard<std::mutex> lock(mutex_);
    TETHER_RETURN_IF_ERROR(OpenReader());
    try {
      BindTenant(*reader_, dialect_, project.tenant, /*local=*/false);
      return analysis_.Search(*reader_, project, query);
    } catch (...) {
      return CurrentExceptionStatus("sql-storage: cannot search symbols");
    }
  }

  Result<int64_t> CollectAnalysis(const std::string& tenant, const std::vector<AnalyzerKey>& active,
                                  int64_t grace_seconds) override {
    if (grace_seconds < 0) return Status::InvalidArgument("sql-storage: a negative grace period");
    std::lock_guard<std::mutex> lock(writer_mutex_);
    try {
      TETHER_RETURN_IF_ERROR(OpenAnalysisWriter());
      return analysis_.Collect(*analysis_writer_, tenant, active, grace_seconds);
    } catch (...) {
      Status failed = CurrentExceptionStatus("sql-storage: cannot collect unused analysis results");
      analysis_writer_.reset();  // it may be broken; the next call opens another
      return failed;
    }
  }

  Result<std::vector<AnalysisResult>> GetAnalysisResults(const ProjectRef& project, const AnalyzerKey& key,
                                                         const std::vector<RepositoryFile>& files) override {
    std::lock_guard<std::mutex> lock(mutex_);
    TETHER_RETURN_IF_ERROR(OpenReader());
    try {
      BindTenant(*reader_, dialect_, project.tenant, /*local=*/false);
      return analysis_.GetMany(*reader_, project.tenant, key, files);
    } catch (...) {
      return CurrentExceptionStatus("sql-storage: cannot read " + key.id + " results");
    }
  }

  Result<RepositorySnapshot> ReadRepositorySnapshot(const ProjectRef& project,
                                                    const std::string& analyzer_id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    TETHER_RETURN_IF_ERROR(OpenReader());
    try {
      BindTenant(*reader_, dialect_, project.tenant, /*local=*/false);
      return repository_.ReadSnapshot(*reader_, project, analyzer_id);
    } catch (...) {
      return CurrentExceptionStatus("sql-storage: cannot read what " + analyzer_id + " last ran on");
    }
  }

  Status CommitRepositoryStep(const ProjectRef& project, const RepositoryCommit& commit) override {
    TETHER_RETURN_IF_ERROR(RepositoryStore::Check(commit));
    std::lock_guard<std::mutex> lock(writer_mutex_);
    try {
      TETHER_RETURN_IF_ERROR(OpenAnalysisWriter());
      repository_.Commit(*analysis_writer_, project, commit);
    } catch (...) {
      Status failed = CurrentExceptionStatus("sql-storage: cannot store the outputs of " + commit.key.id);
      analysis_writer_.reset();  // it may be broken; the next call opens another
      return failed;
    }
    return Status::Ok();
  }

  Result<RepositoryOutputPage> ListRepositoryOutputs(const ProjectRef& project,
                                                     const RepositoryOutputQuery& query) override {
    if (query.limit < 1) return Status::InvalidArgument("sql-storage: a page holds at least one output");
    std::lock_guard<std::mutex> lock(mutex_);
    TETHER_RETURN_IF_ERROR(OpenReader());
    try {
      BindTenant(*reader_, dialect_, project.tenant, /*local=*/false);
      return repository_.List(*reader_, project, query);
    } catch (...) {
      return CurrentExceptionStatus("sql-storage: cannot list the outputs of " + query.analyzer_id);
    }
  }

  Result<StoredOutput> GetRepositoryOutput(const ProjectRef& project, const std::string& analyzer_id,
                                           const std::string& name) override {
    std::lock_guard<std::mutex> lock(mutex_);
    TETHER_RETURN_IF_ERROR(OpenReader());
    std::optional<StoredOutput> found;
    try {
      BindTenant(*reader_, dialect_, project.tenant, /*local=*/false);
      found = repository_.Get(*reader_, project, analyzer_id, name);
    } catch (...) {
      return CurrentExceptionStatus("sql-storage: cannot read output \"" + name + "\" of " + analyzer_id);
    }
    if (!found) return Status::NotFound("no output \"" + name + "\" of " + analyzer_id + " in this project");
    return *std::move(found);
  }

  Result<TextPage> SearchText(const ProjectRef& project, const TextQuery& query) override {
    Status checked = CheckTextQuery(query);
    if (!checked.ok()) return Status::InvalidArgument("sql-storage: " + checked.message());
    std::lock_guard<std::mutex> lock(mutex_);
    TETHER_RETURN_IF_ERROR(OpenReader());
    try {
      BindTenant(*reader_, dialect_, project.tenant, /*local=*/false);
      return text_.Search(*reader_, project, query);
    } catch (...) {
      return CurrentExceptionStatus("sql-storage: cannot search the documents' text");
    }
  }

  Result<int64_t> IndexText(const ProjectRef& project, int64_t max_documents) override {
    if (max_documents < 1) return Status::InvalidArgument("sql-storage: IndexText needs max_documents of 1 or more");
    std::lock_guard<std::mutex> lock(writer_mutex_);
    try {
      TETHER_RETURN_IF_ERROR(OpenAnalysisWriter());
      return text_.IndexPending(*analysis_writer_, project.id, max_documents);
    } catch (...) {
      Status failed = CurrentExceptionStatus("sql-storage: cannot index the documents' text");
      analysis_writer_.reset();  // it may be broken; the next call opens another
      return failed;
    }
  }

  Result<std::vector<std::string>> MissingVectors(const std::string& tenant, const std::string& space,
                                                  const std::vector<std::string>& hashes) override {
    TETHER_RETURN_IF_ERROR(VectorStore::CheckSpace(space));
    TETHER_RETURN_IF_ERROR(VectorStore::CheckHashes(hashes));
    if (hashes.empty()) return std::vector<std::string>();
    std::lock_guard<std::mutex> lock(mutex_);
    TETHER_RETURN_IF_ERROR(OpenReader());
    try {
      BindTenant(*reader_, dialect_, tenant, /*local=*/false);
      return vectors_.Missing(*reader_, tenant, space, hashes);
    } catch (...) {
      return CurrentExceptionStatus("sql-storage: cannot look up vectors of space " + space);
    }
  }

  Status PutVectors(const std::string& tenant, const std::string& space,
                    const std::vector<StoredVector>& vectors) override {
    TETHER_RETURN_IF_ERROR(VectorStore::CheckSpace(space));
    TETHER_RETURN_IF_ERROR(VectorStore::CheckVectors(vectors));
    std::lock_guard<std::mutex> lock(writer_mutex_);
    try {
      TETHER_RETURN_IF_ERROR(OpenAnalysisWriter());
      return vectors_.Put(*analysis_writer_, tenant, space, vectors);
    } catch (...) {
      Status failed = CurrentExceptionStatus("sql-storage: cannot store vectors of space " + space);
      analysis_writer_.reset();  // it may be broken; the next call opens another
      return failed;
    }
  }

  Result<std::vector<StoredVector>> GetVectors(const std::string& tenant, const std::string& space,
                                               const std::vector<std::string>& hashes) override {
    TETHER_RETURN_IF_ERROR(VectorStore::CheckSpace(space));
    TETHER_RETURN_IF_ERROR(VectorStore::CheckHashes(hashes));
    if (hashes.empty()) return std::vector<StoredVector>();
    std::lock_guard<std::mutex> lock(mutex_);
    TETHER_RETURN_IF_ERROR(OpenReader());
    try {
      BindTenant(*reader_, dialect_, tenant, /*local=*/false);
      return vectors_.Get(*reader_, tenant, space, hashes);
    } catch (...) {
      return CurrentExceptionStatus("sql-storage: cannot read vectors of space " + space);
    }
  }

 private:
  Result<std::unique_ptr<StorageWriter>> Begin(const ProjectRef& project, const CommitId& expected_cursor,
                                               int64_t epoch) {
    Result<std::unique_ptr<soci::session>> session = OpenSession(url_);
    if (!session.ok()) return session.status();
    if (epoch >= 0 && dialect_ == Dialect::kPostgres) {
      // The fence row exists, committed, before the write begins: its
      // commit then locks it (FOR SHARE), so that a Fence racing the commit
      // waits for it or is seen by it. Without a row there would be nothing
      // to lock, and a first Fence could slip in between the commit's check
      // and its COMMIT. Outside the write's transaction, so that a Fence
      // never waits for a write in progress. (On SQLite a Fence is a write:
      // it waits for the one write lock the whole write holds.)
      try {
        long long id = project.id;
        int exists = 0;
        BindTenant(**session, dialect_, project.tenant, /*local=*/false);
        **session << "SELECT COUNT(*) FROM storage_fences WHERE project_id = :p", soci::use(id), soci::into(exists);
        if (exists == 0) {
          **session << "INSERT INTO storage_fences (project_id, epoch) VALUES (:p, 0) ON CONFLICT (project_id) DO NOTHING",
              soci::use(id);
        }
      } catch (...) {
        return CurrentExceptionStatus("sql-storage: cannot prepare the project's fence");
      }
    }
    auto writer = std::make_unique<SqlWriter>(std::move(session).value(), dialect_, project.id, epoch);
    TETHER_RETURN_IF_ERROR(writer->Begin(project.tenant, expected_cursor));
    return std::unique_ptr<StorageWriter>(std::move(writer));
  }

  // The session reads go through, opened at the first read: a process that
  // loads the plugin and reads nothing (most commands) opens no connection.
  // Under mutex_.
  Status OpenReader() {
    // One the server ended (a restart, a connection cut) is replaced.
    if (reader_ && !db::SessionUsable(*reader_)) reader_.reset();
    if (reader_) return Status::Ok();
    Result<std::unique_ptr<soci::session>> opened = OpenSession(url_);
    if (!opened.ok()) return opened.status();
    reader_ = std::move(opened).value();
    return Status::Ok();
  }

  // The session analysis results and fences are written on, opened at
  // first use (and again after a failure, which may have broken it). Under
  // writer_mutex_.
  Status OpenAnalysisWriter() {
    if (analysis_writer_ && !db::SessionUsable(*analysis_writer_)) analysis_writer_.reset();
    if (analysis_writer_) return Status::Ok();
    Result<std::unique_ptr<soci::session>> opened = OpenSession(url_);
    if (!opened.ok()) return opened.status();
    analysis_writer_ = std::move(opened).value();
    return Status::Ok();
  }

  std::string url_;
  Dialect dialect_;
  std::mutex mutex_;  // guards reader_
  std::unique_ptr<soci::session> reader_;  // opened by OpenReader
  AnalysisStore analysis_;
  RepositoryStore repository_;
  TextSearch text_;
  VectorStore vectors_;
  std::mutex writer_mutex_;  // guards analysis_writer_
  std::unique_ptr<soci::session> analysis_writer_;
};

Result<std::unique_ptr<Plugin>> CreateSqlStorage(const PluginContext& context) {
  if (context.database_url.empty()) return Status::InvalidArgument("sql-storage: no database URL");
  Result<Dialect> dialect = db::DialectOfUrl(context.database_url);
  if (!dialect.ok()) return dialect.status();
  // No connection yet: each of the storage's sessions opens at its first use.
  return std::unique_ptr<Plugin>(std::make_unique<SqlStorage>(context.database_url, *dialect));
}

}  // namespace
}  // namespace tether::sql_storage

TETHER_PLUGIN(TETHER_PLUGIN_STORAGE, "sql-storage", "0.4.0",
              "Documents, cursors and analysis results in the engine's SQLite or PostgreSQL database (SOCI)",
              tether::sql_storage::CreateSqlStorage)

// sql-storage: the Storage interface on the engine's `documents` table and
// the cursor in `project_syncs.last_synced_commit`, through SOCI.
//
// Every StorageWriter is one transaction on its own session: the change set
// and the new cursor commit together or not at all. Statements are prepared
// once per writer and executed per change, so a write costs one execution
// per changed file, and nothing for unchanged ones.
#include <memory>
#include <mutex>
#include <string>

#include <soci/soci.h>

#include "engine/common/clock.h"
#include "engine/db/row_values.h"
#include "engine/db/sql_connect.h"
#include "pg_batch.h"
#include "tether/plugin.h"
#include "tether/storage.h"

namespace tether::sql_storage {
namespace {

using db::Dialect;

Status CurrentExceptionStatus(const std::string& what) { return db::StatusFromCurrentException(what); }

Result<std::unique_ptr<soci::session>> OpenSession(const std::string& url) {
  return db::OpenSociSession(url, /*busy_timeout_ms=*/30000);
}

EntryKind KindFromName(const std::string& name) {
  if (name == "executable") return EntryKind::kExecutable;
  if (name == "symlink") return EntryKind::kSymlink;
  if (name == "submodule") return EntryKind::kSubmodule;
  return EntryKind::kFile;
}


// Runs what follows on `session` as `tenant` (PostgreSQL row-level security
// keys on tether.tenant): for the open transaction only when `local`, else
// for the session. Nothing on SQLite, which has no row-level security.
void BindTenant(soci::session& session, Dialect dialect, const std::string& tenant, bool local) {
  if (dialect != Dialect::kPostgres || tenant.empty()) return;
  std::string previous;
  int is_local = local ? 1 : 0;
  session << "SELECT set_config('tether.tenant', :t, :l = 1)", soci::use(tenant), soci::use(is_local),
      soci::into(previous);
}

// Reads the cursor; NotFound when the project has no project_syncs row.
Result<CommitId> ReadCursorOn(soci::session& session, long long project_id, bool for_update) {
  std::string cursor;
  soci::indicator ind = soci::i_null;
  std::string sql = "SELECT last_synced_commit FROM project_syncs WHERE project_id = :id";
  if (for_update) sql += " FOR UPDATE";
  soci::statement st = (session.prepare << sql, soci::use(project_id), soci::into(cursor, ind));
  st.execute(false);
  if (!st.fetch()) return Status::NotFound("sql-storage: no project with id " + std::to_string(project_id));
  return ind == soci::i_null ? std::string() : cursor;
}

// One write transaction on its own session. On SQLite each change runs a
// prepared statement (no round trips in-process); on PostgreSQL upserts and
// deletes go in batches (PgBatch). Renames run one at a time on both.
class SqlWriter : public StorageWriter {
 public:
  SqlWriter(std::unique_ptr<soci::session> session, Dialect dialect, long long project_id)
      : session_(std::move(session)), dialect_(dialect), project_id_(project_id), now_(NowIso8601()) {}

  ~SqlWriter() override {
    if (!open_) return;
    try {
      *session_ << "ROLLBACK";
    } catch (...) {
      // Closing the session discards the transaction anyway.
    }
  }

  Status Begin(const std::string& tenant, const CommitId& expected_cursor) {
    try {
      *session_ << (dialect_ == Dialect::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN");
      open_ = true;
      BindTenant(*session_, dialect_, tenant, /*local=*/true);
      Result<CommitId> cursor = ReadCursorOn(*session_, project_id_, dialect_ == Dialect::kPostgres);
      if (!cursor.ok()) return cursor.status();
      if (*cursor != expected_cursor) {
        return Status::Conflict("sql-storage: the project's cursor moved to " +
                                (cursor->empty() ? std::string("nothing") : *cursor) +
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
      std::string cursor = new_cursor;
      *session_ << "UPDATE project_syncs SET last_synced_commit = :c WHERE project_id = :id",
          soci::use(cursor), soci::use(project_id_);
      // Statements hold read cursors on SQLite; finish them before COMMIT.
      upsert_.reset();
      delete_.reset();
      move_.reset();
      *session_ << "COMMIT";
      open_ = false;
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
      upsert_ = std::make_unique<soci::statement>(
          (s.prepare << std::string("INSERT INTO documents (project_id, path, blob_sha, mode, kind, size, is_binary,"
                                    " content, language, embedding, updated_commit, updated_at)"
                                    " VALUES (:p, :path, :blob, :mode, :kind, :size, :bin, :content, :lang, NULL,"
                                    " :c, :t)") +
                            kUpsertConflictClause,
           soci::use(project_id_), soci::use(row_.path), soci::use(row_.blob), soci::use(row_.mode),
           soci::use(row_.kind), soci::use(row_.size), soci::use(row_.is_binary),
           soci::use(row_.content, content_ind_), soci::use(row_.language, language_ind_), soci::use(commit_),
           soci::use(now_)));
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
    if (batch_) batch_->AddUpsert(row_);
    else upsert_->execute(true);
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
  bool open_ = false;
  bool first_write_ = false;  // PostgreSQL: the project has no rows yet
  std::string commit_;
  std::string now_;
  std::unique_ptr<PgBatch> batch_;  // PostgreSQL only
  std::unique_ptr<soci::statement> upsert_, delete_, move_;
  // Bound variables of the prepared statements.
  DocumentRow row_;
  std::string old_path_;
  soci::indicator content_ind_ = soci::i_null, language_ind_ = soci::i_null;
};

class SqlStorage : public Storage {
 public:
  SqlStorage(std::string url, Dialect dialect, std::unique_ptr<soci::session> reader)
      : url_(std::move(url)), dialect_(dialect), reader_(std::move(reader)) {}

  Result<CommitId> ReadCursor(const ProjectRef& project) override {
    std::lock_guard<std::mutex> lock(mutex_);
    try {
      BindTenant(*reader_, dialect_, project.tenant, /*local=*/false);
      return ReadCursorOn(*reader_, project.id, false);
    } catch (...) {
      return CurrentExceptionStatus("sql-storage: cannot read the cursor");
    }
  }

  Status ListEntries(const ProjectRef& project, EntrySink* sink) override {
    std::lock_guard<std::mutex> lock(mutex_);
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
    Result<std::unique_ptr<soci::session>> session = OpenSession(url_);
    if (!session.ok()) return session.status();
    auto writer = std::make_unique<SqlWriter>(std::move(session).value(), dialect_, project.id);
    TETHER_RETURN_IF_ERROR(writer->Begin(project.tenant, expected_cursor));
    return std::unique_ptr<StorageWriter>(std::move(writer));
  }

  Result<StorageCounts> Counts(const ProjectRef& project) override {
    std::lock_guard<std::mutex> lock(mutex_);
    long long id = project.id;
    StorageCounts counts;
    try {
      BindTenant(*reader_, dialect_, project.tenant, /*local=*/false);
      soci::row row;
      *reader_ << "SELECT COUNT(*), COALESCE(SUM(CASE WHEN content IS NOT NULL THEN 1 ELSE 0 END), 0),"
                  " COALESCE(SUM(is_binary), 0),"
                  " COALESCE(SUM(CASE WHEN embedding IS NOT NULL THEN 1 ELSE 0 END), 0),"
                  " COALESCE(SUM(size), 0) FROM documents WHERE project_id = :p",
          soci::use(id), soci::into(row);
      counts.documents = db::RowInt(row, 0);
      counts.with_content = db::RowInt(row, 1);
      counts.binary = db::RowInt(row, 2);
      counts.with_embedding = db::RowInt(row, 3);
      counts.total_bytes = db::RowInt(row, 4);
    } catch (...) {
      return CurrentExceptionStatus("sql-storage: cannot count documents");
    }
    return counts;
  }

 private:
  std::string url_;
  Dialect dialect_;
  std::mutex mutex_;  // guards reader_
  std::unique_ptr<soci::session> reader_;
};

Result<std::unique_ptr<Plugin>> CreateSqlStorage(const PluginContext& context) {
  if (context.database_url.empty()) return Status::InvalidArgument("sql-storage: no database URL");
  Result<Dialect> dialect = db::DialectOfUrl(context.database_url);
  if (!dialect.ok()) return dialect.status();
  Result<std::unique_ptr<soci::session>> reader = OpenSession(context.database_url);
  if (!reader.ok()) return reader.status();
  return std::unique_ptr<Plugin>(
      std::make_unique<SqlStorage>(context.database_url, *dialect, std::move(reader).value()));
}

}  // namespace
}  // namespace tether::sql_storage

TETHER_PLUGIN(TETHER_PLUGIN_STORAGE, "sql-storage", "0.1.0",
              "Documents and cursors in the engine's SQLite or PostgreSQL database (SOCI)",
              tether::sql_storage::CreateSqlStorage)

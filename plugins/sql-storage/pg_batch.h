// PgBatch: document upserts and deletes for PostgreSQL, sent a batch at a
// time. SOCI emulates bulk binds on PostgreSQL with one round trip per row;
// here each batch is one statement whose values travel as arrays and are
// unnested on the server.
//
// Not thread safe; used by one StorageWriter on its own session. Flush and
// the Add* methods that flush throw soci::soci_error on a database error.
#ifndef TETHER_PLUGINS_SQL_STORAGE_PG_BATCH_H_
#define TETHER_PLUGINS_SQL_STORAGE_PG_BATCH_H_

#include <string>
#include <vector>

#include <soci/soci.h>

namespace tether::sql_storage {

// The row a sync writes for one file. Null content or language: has_* false.
struct DocumentRow {
  std::string path;
  std::string blob;
  long long mode = 0;
  std::string kind;
  long long size = 0;
  int is_binary = 0;
  bool has_content = false;
  std::string content;
  bool has_language = false;
  std::string language;
};

class PgBatch {
 public:
  // `commit` is read at each flush: the writer keeps it current. With
  // `copy_rows`, the project has no rows yet (its first write): upserts are
  // sent with COPY, which PostgreSQL takes far more cheaply than a
  // statement; a conflicting row would fail the COPY, and the transaction
  // with it, so nothing can be overwritten silently. One COPY stays open
  // from the first full batch to the next Flush, so that the server stores
  // rows while the writer reads the next files; no other statement may run
  // on the session meanwhile (call Flush first).
  PgBatch(soci::session* session, long long project_id, const std::string* commit, std::string now,
          bool copy_rows);
  // Ends an open COPY as failed (the write is being abandoned), so that
  // the session can roll back.
  ~PgBatch();

  PgBatch(const PgBatch&) = delete;
  PgBatch& operator=(const PgBatch&) = delete;

  void AddUpsert(const DocumentRow& row);
  void AddDelete(const std::string& path);
  // Sends what is pending and ends an open COPY: deletes first, then
  // upserts (a change set never deletes and writes one path, so the order
  // is free).
  void Flush();

 private:
  void FlushIfFull();
  // Sends the pending upserts into the open COPY, starting it first.
  void SendCopyRows();
  // Ends the open COPY; throws when the server refused any of its rows.
  void EndCopy();
  void UpsertStatement();

  soci::session* session_;
  long long project_id_;
  const std::string* commit_;
  std::string now_;
  bool copy_rows_;
  std::vector<DocumentRow> upserts_;
  std::vector<std::string> deletes_;
  size_t pending_bytes_ = 0;
  bool copying_ = false;  // a COPY is open on the session
};

}  // namespace tether::sql_storage

#endif  // TETHER_PLUGINS_SQL_STORAGE_PG_BATCH_H_

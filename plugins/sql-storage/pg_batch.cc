#include "pg_batch.h"

#include <stdexcept>

#include "pg_array.h"
#include "shared/libpq.h"

namespace tether::sql_storage {
namespace {

constexpr size_t kMaxRows = 1000;
constexpr size_t kMaxBytes = 8u << 20;

// A changed blob clears the derived columns (embedding), which describe the
// old content, and leaves its content to IndexText (0017); a mode-only
// change keeps them.
const char kUpsertConflictClause[] =
    " ON CONFLICT (project_id, path) DO UPDATE SET blob_sha = excluded.blob_sha,"
    " mode = excluded.mode, kind = excluded.kind, size = excluded.size,"
    " is_binary = excluded.is_binary, content = excluded.content,"
    " language = excluded.language, updated_commit = excluded.updated_commit,"
    " updated_at = excluded.updated_at,"
    " embedding = CASE WHEN documents.blob_sha = excluded.blob_sha"
    " THEN documents.embedding ELSE NULL END,"
    " text_indexed = documents.text_indexed AND documents.blob_sha = excluded.blob_sha";

}  // namespace

PgBatch::PgBatch(soci::session* session, long long project_id, const std::string* commit, std::string now,
                 bool copy_rows)
    : session_(session), project_id_(project_id), commit_(commit), now_(std::move(now)), copy_rows_(copy_rows) {}

void PgBatch::AddUpsert(const DocumentRow& row) {
  pending_bytes_ += row.path.size() + row.content.size() + 64;
  upserts_.push_back(row);
  FlushIfFull();
}

void PgBatch::AddDelete(const std::string& path) {
  pending_bytes_ += path.size() + 8;
  deletes_.push_back(path);
  FlushIfFull();
}

PgBatch::~PgBatch() {
  if (!copying_) return;
  Result<const db::LibPq*> loaded = db::LoadLibPq();
  if (!loaded.ok()) return;
  PGconn* conn = db::PostgresConnection(*session_);
  // The server fails the COPY with this message; its results are read, so
  // that the session takes a ROLLBACK next.
  if ((*loaded)->put_copy_end(conn, "the write was abandoned") != 1) return;
  while (PGresult* result = (*loaded)->get_result(conn)) (*loaded)->clear(result);
}

void PgBatch::FlushIfFull() {
  if (upserts_.size() + deletes_.size() < kMaxRows && pending_bytes_ < kMaxBytes) return;
  if (copy_rows_ && deletes_.empty()) {
    SendCopyRows();
    pending_bytes_ = 0;
    return;
  }
  Flush();
}

void PgBatch::Flush() {
  if (copy_rows_ && !upserts_.empty()) SendCopyRows();
  if (copying_) EndCopy();
  if (!deletes_.empty()) {
    ArrayLiteral path_array;
    for (const std::string& path : deletes_) path_array.Text(path);
    std::string paths = path_array.Take();
    *session_ << "DELETE FROM documents WHERE project_id = :p AND path = ANY(CAST(:paths AS text[]))",
        soci::use(project_id_), soci::use(paths);
    deletes_.clear();
  }
  if (!upserts_.empty()) {
    UpsertStatement();
    upserts_.clear();
  }
  pending_bytes_ = 0;
}

void PgBatch::UpsertStatement() {
  ArrayLiteral path_array, blob_array, kind_array, content_array, language_array, mode_array, size_array, bin_array;
  for (const DocumentRow& r : upserts_) {
    path_array.Text(r.path);
    blob_array.Text(r.blob);
    kind_array.Text(r.kind);
    content_array.Text(r.has_content ? &r.content : nullptr);
    language_array.Text(r.has_language ? &r.language : nullptr);
    mode_array.Number(r.mode);
    size_array.Number(r.size);
    bin_array.Number(r.is_binary);
  }
  std::string paths = path_array.Take(), blobs = blob_array.Take(), kinds = kind_array.Take(),
              contents = content_array.Take(), languages = language_array.Take();
  std::string number_arrays[3] = {mode_array.Take(), size_array.Take(), bin_array.Take()};
  *session_ << std::string(
                   "INSERT INTO documents (project_id, path, blob_sha, mode, kind, size, is_binary,"
                   " content, language, embedding, updated_commit, updated_at)"
                   " SELECT :p, u.path, u.blob, u.mode, u.kind, u.size, u.bin, u.content, u.lang, NULL, :c, :t"
                   " FROM unnest(CAST(:paths AS text[]), CAST(:blobs AS text[]), CAST(:modes AS bigint[]),"
                   " CAST(:kinds AS text[]), CAST(:sizes AS bigint[]), CAST(:bins AS smallint[]),"
                   " CAST(:contents AS text[]), CAST(:langs AS text[]))"
                   " AS u(path, blob, mode, kind, size, bin, content, lang)") +
                   kUpsertConflictClause,
      soci::use(project_id_), soci::use(*commit_), soci::use(now_), soci::use(paths), soci::use(blobs),
      soci::use(number_arrays[0]), soci::use(kinds), soci::use(number_arrays[1]), soci::use(number_arrays[2]),
      soci::use(contents), soci::use(languages);
}

namespace {

// A COPY text-format field: backslash, tab, newline and carriage return
// escaped; NULL as \N.
void AppendCopyField(std::string* out, const std::string* value) {
  if (value == nullptr) {
    out->append("\\N");
    return;
  }
  // Runs of ordinary bytes are appended whole: a byte at a time cost a
  // first sync's writer thread a sixth of its time.
  const char* at = value->data();
  const char* const end = at + value->size();
  while (at < end) {
    const char* run = at;
    while (at < end && *at != '\\' && *at != '\t' && *at != '\n' && *at != '\r') ++at;
    out->append(run, static_cast<size_t>(at - run));
    if (at == end) break;
    switch (*at++) {
      case '\\': out->append("\\\\"); break;
      case '\t': out->append("\\t"); break;
      case '\n': out->append("\\n"); break;
      default: out->append("\\r"); break;
    }
  }
}

[[noreturn]] void ThrowCopyError(const db::LibPq& pq, PGconn* conn, const std::string& what) {
  std::string message = pq.error_message(conn);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  throw std::runtime_error(what + ": " + message);
}

}  // namespace

void PgBatch::SendCopyRows() {
  // Loaded already: the session this batch writes on is PostgreSQL's.
  Result<const db::LibPq*> loaded = db::LoadLibPq();
  if (!loaded.ok()) throw std::runtime_error(loaded.status().message());
  const db::LibPq& pq = **loaded;
  PGconn* conn = db::PostgresConnection(*session_);
  if (!copying_) {
    PGresult* started = pq.exec(conn,
                               "COPY documents (project_id, path, blob_sha, mode, kind, size, is_binary, content,"
                               " language, updated_commit, updated_at) FROM STDIN");
    const bool ready = pq.result_status(started) == PGRES_COPY_IN;
    pq.clear(started);
    if (!ready) ThrowCopyError(pq, conn, "cannot start COPY into documents");
    copying_ = true;
  }
  std::string data;
  size_t estimate = 0;  // without escapes; a few grow it once more
  for (const DocumentRow& r : upserts_) estimate += r.path.size() + r.content.size() + r.language.size() + 160;
  data.reserve(estimate);
  const std::string project = std::to_string(project_id_);
  for (const DocumentRow& r : upserts_) {
    std::string mode = std::to_string(r.mode), size = std::to_string(r.size), bin = std::to_string(r.is_binary);
    const std::string* fields[] = {&project, &r.path, &r.blob, &mode, &r.kind, &size, &bin,
                                   r.has_content ? &r.content : nullptr, r.has_language ? &r.language : nullptr,
                                   commit_, &now_};
    bool first = true;
    for (const std::string* f : fields) {
      if (!first) data.push_back('\t');
      first = false;
      AppendCopyField(&data, f);
    }
    data.push_back('\n');
  }
  upserts_.clear();
  // A row the server refuses fails the COPY; it says so at EndCopy.
  if (pq.put_copy_data(conn, data.data(), static_cast<int>(data.size())) != 1) {
    ThrowCopyError(pq, conn, "cannot send rows to COPY");
  }
}

void PgBatch::EndCopy() {
  Result<const db::LibPq*> loaded = db::LoadLibPq();
  if (!loaded.ok()) throw std::runtime_error(loaded.status().message());
  const db::LibPq& pq = **loaded;
  PGconn* conn = db::PostgresConnection(*session_);
  copying_ = false;
  if (pq.put_copy_end(conn, nullptr) != 1) ThrowCopyError(pq, conn, "cannot end COPY into documents");
  bool failed = false;
  std::string error;
  while (PGresult* result = pq.get_result(conn)) {
    if (pq.result_status(result) != PGRES_COMMAND_OK) {
      failed = true;
      error = pq.result_error_message(result);
    }
    pq.clear(result);
  }
  if (failed) {
    while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
    throw std::runtime_error("COPY into documents failed: " + error);
  }
}

}  // namespace tether::sql_storage

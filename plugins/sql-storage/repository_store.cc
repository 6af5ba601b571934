#include "repository_store.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "shared/clock.h"
#include "shared/row_values.h"
#include "pg_array.h"
#include "sql_transaction.h"
#include "tenant_binding.h"

namespace tether::sql_storage {
namespace {

// Valid UTF-8 (no overlong forms, surrogates or values past U+10FFFF),
// without NUL: what both databases store as text.
bool IsUtf8WithoutNul(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t extra = 0;
    uint32_t cp = 0, min = 0;
    if ((c & 0xE0) == 0xC0) {
      extra = 1, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;
    for (size_t k = 1; k <= extra; ++k) {
      const unsigned char next = static_cast<unsigned char>(s[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (next & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

// Byte order for names, whatever the database's default collation.
const char* ByteOrder(db::Dialect dialect) { return dialect == db::Dialect::kPostgres ? " COLLATE \"C\"" : ""; }

}  // namespace

Status RepositoryStore::Check(const RepositoryCommit& commit) {
  for (const RepositoryOutput& o : commit.puts) {
    if (o.name.empty() || o.name.size() > kMaxOutputNameBytes || !IsUtf8WithoutNul(o.name)) {
      return Status::InvalidArgument("sql-storage: output name of " + std::to_string(o.name.size()) +
                                     " bytes: it must be 1 to 4096 bytes of UTF-8 without NUL");
    }
    if (o.key.size() > kMaxOutputKeyBytes || !IsUtf8WithoutNul(o.key)) {
      return Status::InvalidArgument("sql-storage: the key of output \"" + o.name +
                                     "\" must be at most 256 bytes of UTF-8 without NUL");
    }
    if (o.content.size() > kMaxOutputContentBytes || !IsUtf8WithoutNul(o.content)) {
      return Status::InvalidArgument("sql-storage: the content of output \"" + o.name +
                                     "\" must be at most 16 MiB of UTF-8 without NUL");
    }
  }
  for (const FileChange& c : commit.changes) {
    const bool has_new = c.kind != FileChangeKind::kDeleted;
    if (c.path.empty() || (has_new && c.new_blob.empty())) {
      return Status::InvalidArgument("sql-storage: a file change without a path or a new blob (\"" + c.path + "\")");
    }
  }
  return Status::Ok();
}

RepositorySnapshot RepositoryStore::ReadSnapshot(soci::session& session, const ProjectRef& project,
                                                 const std::string& analyzer_id) const {
  RepositorySnapshot snapshot;
  long long id = project.id;
  std::string analyzer = analyzer_id;
  {
    soci::rowset<soci::row> rows =
        (session.prepare << "SELECT analyzer_version, settings_hash FROM analysis_steps"
                            " WHERE project_id = :p AND analyzer = :a",
         soci::use(id), soci::use(analyzer));
    for (const soci::row& row : rows) {
      snapshot.key.id = analyzer_id;
      snapshot.key.version = db::RowText(row, 0);
      snapshot.key.settings_hash = db::RowText(row, 1);
    }
  }
  if (snapshot.key.id.empty()) return snapshot;
  soci::rowset<soci::row> rows =
      (session.prepare << "SELECT path, blob_sha, language FROM analysis_step_files"
                          " WHERE project_id = :p AND analyzer = :a ORDER BY path",
       soci::use(id), soci::use(analyzer));
  for (const soci::row& row : rows) {
    snapshot.files.push_back({db::RowText(row, 0), db::RowText(row, 1), db::RowText(row, 2)});
  }
  // ORDER BY follows the database's collation; the contract is byte order.
  std::sort(snapshot.files.begin(), snapshot.files.end(),
            [](const RepositoryFile& a, const RepositoryFile& b) { return a.path < b.path; });
  return snapshot;
}

void RepositoryStore::Commit(soci::session& session, const ProjectRef& project,
                             const RepositoryCommit& commit) const {
  session << (dialect_ == db::Dialect::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN");
  Transaction transaction(session);
  BindTenant(session, dialect_, project.tenant, /*local=*/true);
  long long id = project.id;
  std::string tenant = project.tenant, analyzer = commit.key.id, version = commit.key.version,
              settings = commit.key.settings_hash, now = NowIso8601();
  if (commit.replace_all) {
    session << "DELETE FROM analysis_outputs WHERE project_id = :p AND analyzer = :a", soci::use(id),
        soci::use(analyzer);
    session << "DELETE FROM analysis_step_files WHERE project_id = :p AND analyzer = :a", soci::use(id),
        soci::use(analyzer);
  }
  if (dialect_ == db::Dialect::kPostgres) {
    CommitBatches(session, project, commit);
  } else {
    for (const std::string& removed : commit.removes) {
      std::string name = removed;
      session << "DELETE FROM analysis_outputs WHERE project_id = :p AND analyzer = :a AND name = :n", soci::use(id),
          soci::use(analyzer), soci::use(name);
    }
    for (const RepositoryOutput& o : commit.puts) {
      std::string name = o.name, key = o.key, content = o.content;
      session << "INSERT INTO analysis_outputs (tenant_id, project_id, analyzer, name, output_key, content, updated_at)"
                 " VALUES (:t, :p, :a, :n, :k, :c, :u) ON CONFLICT (project_id, analyzer, name) DO UPDATE SET"
                 " output_key = excluded.output_key, content = excluded.content, updated_at = excluded.updated_at",
          soci::use(tenant), soci::use(id), soci::use(analyzer), soci::use(name), soci::use(key), soci::use(content),
          soci::use(now);
    }
    for (const FileChange& c : commit.changes) {
      std::string path = c.path;
      session << "DELETE FROM analysis_step_files WHERE project_id = :p AND analyzer = :a AND path = :path",
          soci::use(id), soci::use(analyzer), soci::use(path);
      if (c.kind == FileChangeKind::kDeleted) continue;
      std::string blob = c.new_blob, language = c.language;
      session << "INSERT INTO analysis_step_files (tenant_id, project_id, analyzer, path, blob_sha, language)"
                 " VALUES (:t, :p, :a, :path, :b, :l)",
          soci::use(tenant), soci::use(id), soci::use(analyzer), soci::use(path), soci::use(blob),
          soci::use(language);
    }
  }
  session << "INSERT INTO analysis_steps (tenant_id, project_id, analyzer, analyzer_version, settings_hash,"
             " completed_at) VALUES (:t, :p, :a, :v, :h, :u) ON CONFLICT (project_id, analyzer) DO UPDATE SET"
             " analyzer_version = excluded.analyzer_version, settings_hash = excluded.settings_hash,"
             " completed_at = excluded.completed_at",
      soci::use(tenant), soci::use(id), soci::use(analyzer), soci::use(version), soci::use(settings), soci::use(now);
  transaction.Commit();
}

void RepositoryStore::CommitBatches(soci::session& session, const ProjectRef& project,
                                    const RepositoryCommit& commit) const {
  // Rows travel as arrays, a few MB of literal at a time: a round trip per
  // batch instead of one per row.
  constexpr size_t kBatchBytes = 8u << 20;
  long long id = project.id;
  std::string tenant = project.tenant, analyzer = commit.key.id, now = NowIso8601();
  for (size_t i = 0; i < commit.removes.size();) {
    ArrayLiteral names;
    for (; i < commit.removes.size() && names.size() < kBatchBytes; ++i) names.Text(commit.removes[i]);
    std::string list = names.Take();
    session << "DELETE FROM analysis_outputs WHERE project_id = :p AND analyzer = :a"
               " AND name = ANY(CAST(:names AS text[]))",
        soci::use(id), soci::use(analyzer), soci::use(list);
  }
  for (size_t i = 0; i < commit.puts.size();) {
    ArrayLiteral names, keys, contents;
    for (; i < commit.puts.size() && names.size() + contents.size() < kBatchBytes; ++i) {
      names.Text(commit.puts[i].name);
      keys.Text(commit.puts[i].key);
      contents.Text(commit.puts[i].content);
    }
    std::string n = names.Take(), k = keys.Take(), c = contents.Take();
    session << "INSERT INTO analysis_outputs (tenant_id, project_id, analyzer, name, output_key, content, updated_at)"
               " SELECT :t, :p, :a, u.name, u.k, u.c, :u FROM unnest(CAST(:names AS text[]), CAST(:keys AS text[]),"
               " CAST(:contents AS text[])) AS u(name, k, c)"
               " ON CONFLICT (project_id, analyzer, name) DO UPDATE SET output_key = excluded.output_key,"
               " content = excluded.content, updated_at = excluded.updated_at",
        soci::use(tenant), soci::use(id), soci::use(analyzer), soci::use(now), soci::use(n), soci::use(k),
        soci::use(c);
  }
  for (size_t i = 0; i < commit.changes.size();) {
    ArrayLiteral gone, paths, blobs, languages;
    for (; i < commit.changes.size() && gone.size() + paths.size() < kBatchBytes; ++i) {
      const FileChange& change = commit.changes[i];
      gone.Text(change.path);
      if (change.kind == FileChangeKind::kDeleted) continue;
      paths.Text(change.path);
      blobs.Text(change.new_blob);
      languages.Text(change.language);
    }
    std::string g = gone.Take(), p = paths.Take(), b = blobs.Take(), l = languages.Take();
    session << "DELETE FROM analysis_step_files WHERE project_id = :p AND analyzer = :a"
               " AND path = ANY(CAST(:paths AS text[]))",
        soci::use(id), soci::use(analyzer), soci::use(g);
    session << "INSERT INTO analysis_step_files (tenant_id, project_id, analyzer, path, blob_sha, language)"
               " SELECT :t, :p, :a, u.path, u.blob, u.lang FROM unnest(CAST(:paths AS text[]), CAST(:blobs AS text[]),"
               " CAST(:langs AS text[])) AS u(path, blob, lang)",
        soci::use(tenant), soci::use(id), soci::use(analyzer), soci::use(p), soci::use(b), soci::use(l);
  }
}

RepositoryOutputPage RepositoryStore::List(soci::session& session, const ProjectRef& project,
                                           const RepositoryOutputQuery& query) const {
  long long id = project.id;
  std::string analyzer = query.analyzer_id, after = query.after, low = std::max(query.prefix, query.after);
  int limit = query.limit + 1;
  // Names from `low` on (inclusive only when it is the prefix itself), the
  // prefix checked here: byte order, whatever the database's collation.
  const std::string columns = query.with_content ? "name, output_key, updated_at, content" : "name, output_key, updated_at";
  soci::rowset<soci::row> rows =
      (session.prepare << "SELECT " + columns + " FROM analysis_outputs WHERE project_id = :p AND analyzer = :a AND name" +
                              ByteOrder(dialect_) + " >= :low AND name" + ByteOrder(dialect_) +
                              " > :after ORDER BY name" + ByteOrder(dialect_) + " LIMIT :n",
       soci::use(id), soci::use(analyzer), soci::use(low), soci::use(after), soci::use(limit));
  RepositoryOutputPage page;
  for (const soci::row& row : rows) {
    StoredOutput o;
    o.output.name = db::RowText(row, 0);
    if (o.output.name.compare(0, query.prefix.size(), query.prefix) != 0) break;
    o.output.key = db::RowText(row, 1);
    o.updated_at = db::RowText(row, 2);
    if (query.with_content) o.output.content = db::RowText(row, 3);
    if (static_cast<int>(page.outputs.size()) == query.limit) {
      page.more = true;
      break;
    }
    page.outputs.push_back(std::move(o));
  }
  return page;
}

std::optional<StoredOutput> RepositoryStore::Get(soci::session& session, const ProjectRef& project,
                                                 const std::string& analyzer_id, const std::string& name) const {
  long long id = project.id;
  std::string analyzer = analyzer_id, wanted = name;
  soci::rowset<soci::row> rows =
      (session.prepare << "SELECT name, output_key, updated_at, content FROM analysis_outputs"
                          " WHERE project_id = :p AND analyzer = :a AND name = :n",
       soci::use(id), soci::use(analyzer), soci::use(wanted));
  for (const soci::row& row : rows) {
    StoredOutput o;
    o.output.name = db::RowText(row, 0);
    o.output.key = db::RowText(row, 1);
    o.updated_at = db::RowText(row, 2);
    o.output.content = db::RowText(row, 3);
    return o;
  }
  return std::nullopt;
}

void RepositoryStore::DeleteProject(soci::session& session, long long project_id) const {
  session << "DELETE FROM analysis_outputs WHERE project_id = :p", soci::use(project_id);
  session << "DELETE FROM analysis_step_files WHERE project_id = :p", soci::use(project_id);
  session << "DELETE FROM analysis_steps WHERE project_id = :p", soci::use(project_id);
}

}  // namespace tether::sql_storage

#include "analysis_store.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "shared/clock.h"
#include "shared/row_values.h"
#include "pg_array.h"
#include "sql_list.h"
#include "sql_transaction.h"
#include "symbol_tokens.h"
#include "tenant_binding.h"

namespace tether::sql_storage {
namespace {

// The join of a project's documents to their results under one key; binds
// :t, :a, :v, :h.
constexpr char kResultJoin[] =
    " analysis_results r ON r.tenant_id = :t AND r.blob_sha = d.blob_sha AND r.language = COALESCE(d.language, '')"
    " AND r.analyzer = :a AND r.analyzer_version = :v AND r.settings_hash = :h";

// Only the content of files and executables is analysed: a symlink's blob is
// its target, a submodule's a commit.
constexpr char kAnalysedKinds[] = " d.kind IN ('file', 'executable')";

const char* StateName(AnalysisOutcome outcome) { return AnalysisOutcomeName(outcome); }

AnalysisOutcome OutcomeFromState(const std::string& state) {
  if (state == "failed") return AnalysisOutcome::kFailed;
  if (state == "skipped") return AnalysisOutcome::kSkipped;
  if (state == "poison") return AnalysisOutcome::kPoison;
  return AnalysisOutcome::kAnalyzed;
}

// A result's row from its columns blob_sha, language, state, reason, retry,
// data, from column `first` on.
AnalysisResult ResultFromRow(const soci::row& row, size_t first) {
  AnalysisResult r;
  r.blob_id = db::RowText(row, first);
  r.language = db::RowText(row, first + 1);
  r.outcome = OutcomeFromState(db::RowText(row, first + 2));
  r.reason = db::RowText(row, first + 3);
  r.retry = db::RowInt(row, first + 4) != 0;
  r.data = db::RowText(row, first + 5);
  return r;
}

// A symbol from its columns name, kind, start_line, end_line, signature,
// parent, doc, from column `first` on.
Symbol SymbolFromRow(const soci::row& row, size_t first) {
  Symbol s;
  s.name = db::RowText(row, first);
  s.kind = db::RowText(row, first + 1);
  s.start_line = static_cast<int32_t>(db::RowInt(row, first + 2));
  s.end_line = static_cast<int32_t>(db::RowInt(row, first + 3));
  s.signature = db::RowText(row, first + 4);
  s.parent = db::RowText(row, first + 5);
  s.doc = db::RowText(row, first + 6);
  return s;
}

}  // namespace

void AnalysisStore::Begin(soci::session& session, const std::string& tenant) const {
  session << (dialect_ == db::Dialect::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN");
  BindTenant(session, dialect_, tenant, /*local=*/true);
}

namespace {

// The work-list filter: documents of the project of an analysed kind whose
// (blob, language) has no result under the key, an unfinished one, or a
// failure to retry, after the page's starting pair. Binds :t, :a, :v, :h,
// :p, :ab, :ab2, :al.
std::string WorkFilter(db::Dialect dialect) {
  // On PostgreSQL the result is looked up per document through a LATERAL
  // subquery the planner cannot flatten: as a plain join, planned while the
  // statistics still say analysis_results is empty (a first analysis), it
  // scans every result of the tenant for every document, page after page.
  const std::string join =
      dialect == db::Dialect::kPostgres
          ? std::string(" LEFT JOIN LATERAL (SELECT r.id, r.state, r.retry, r.unfinished, r.marked_by, r.failures"
                        " FROM analysis_results r WHERE r.tenant_id = :t AND r.blob_sha = d.blob_sha"
                        " AND r.language = COALESCE(d.language, '') AND r.analyzer = :a"
                        " AND r.analyzer_version = :v AND r.settings_hash = :h LIMIT 1) r ON TRUE")
          : std::string(" LEFT JOIN") + kResultJoin;
  return " FROM documents d" + join + " WHERE d.project_id = :p AND" + kAnalysedKinds +
         " AND (r.id IS NULL OR r.state = 'running' OR (r.state = 'failed' AND r.retry = 1))"
         " AND d.blob_sha >= :ab AND (d.blob_sha > :ab2 OR COALESCE(d.language, '') > :al)";
}

// One document row of the work list folded into its (blob, language) entry.
void Fold(const soci::row& row, AnalysisWork* w, bool first) {
  std::string path = db::RowText(row, 2);
  uint64_t size = static_cast<uint64_t>(db::RowInt(row, 3));
  bool binary = db::RowInt(row, 4) != 0, content = db::RowInt(row, 5) != 0;
  int32_t unfinished = static_cast<int32_t>(db::RowInt(row, 6));
  std::string marked_by = db::RowText(row, 7);
  int32_t failures = static_cast<int32_t>(db::RowInt(row, 8));
  if (first) {
    w->blob_id = db::RowText(row, 0);
    w->language = db::RowText(row, 1);
    w->path = std::move(path);
    w->size = size;
    w->is_binary = binary;
    w->has_content = content;
    w->unfinished = unfinished;
    w->marked_by = std::move(marked_by);
    w->failures = failures;
    return;
  }
  if (path < w->path) w->path = std::move(path);
  w->size = std::max(w->size, size);
  w->is_binary = w->is_binary || binary;
  w->has_content = w->has_content || content;
  w->unfinished = std::max(w->unfinished, unfinished);
  if (marked_by > w->marked_by) w->marked_by = std::move(marked_by);
  w->failures = std::max(w->failures, failures);
}

// The upsert of a result's row, shared by both ways of sending it.
constexpr char kResultConflictClause[] =
    " ON CONFLICT (tenant_id, blob_sha, language, analyzer, analyzer_version, settings_hash)"
    " DO UPDATE SET state = excluded.state, reason = excluded.reason, retry = excluded.retry,"
    " failures = analysis_results.failures + excluded.failures, unfinished = 0,"
    " marked_by = NULL, data = excluded.data, updated_at = excluded.updated_at,"
    " unused_since = NULL";

constexpr char kMarkConflictClause[] =
    " ON CONFLICT (tenant_id, blob_sha, language, analyzer, analyzer_version, settings_hash)"
    " DO UPDATE SET state = 'running', unfinished = analysis_results.unfinished + 1,"
    " marked_by = excluded.marked_by, updated_at = excluded.updated_at";

// A batch of symbols is sent once it holds this many rows or bytes.
constexpr size_t kSymbolBatchRows = 5000;
constexpr size_t kSymbolBatchBytes = 8u << 20;

// Whether `results` names a (blob, language) twice: one statement cannot
// upsert a row twice.
bool HasRepeatedBlob(const std::vector<AnalysisResult>& results) {
  std::set<std::pair<std::string, std::string>> seen;
  for (const AnalysisResult& r : results) {
    if (!seen.emplace(r.blob_id, r.language).second) return true;
  }
  return false;
}

}  // namespace

AnalysisWorkPage AnalysisStore::ListWork(soci::session& session, const ProjectRef& project, const AnalyzerKey& key,
                                         const AnalysisWorkQuery& query) const {
  long long id = project.id, fetch = static_cast<long long>(query.limit) + 1;
  std::string tenant = project.tenant, after_blob = query.after_blob, after_language = query.after_language;
  AnalysisWorkPage page;
  if (dialect_ == db::Dialect::kSqlite) {
    // SQLite cannot group by (blob, language) in the order of its index on
    // (project, blob): a GROUP BY ... LIMIT sorts every document after the
    // page's start, reading each whole row (the language comes after the
    // content in the record), page after page. Rows in blob order, folded
    // here, stop one blob after the page is full.
    soci::rowset<soci::row> rows =
        (session.prepare << "SELECT d.blob_sha, COALESCE(d.language, ''), d.path, d.size, d.is_binary,"
                            // typeof() reads the column's type, not its value.
                            " CASE WHEN typeof(d.content) = 'null' THEN 0 ELSE 1 END, COALESCE(r.unfinished, 0),"
                            " COALESCE(r.marked_by, ''), COALESCE(r.failures, 0)" +
                                WorkFilter(dialect_) + " ORDER BY d.blob_sha",
         soci::use(tenant), soci::use(key.id), soci::use(key.version), soci::use(key.settings_hash), soci::use(id),
         soci::use(after_blob), soci::use(after_blob), soci::use(after_language));
    std::vector<AnalysisWork>& work = page.work;
    size_t blob_start = 0;  // the first entry of the blob being read
    for (const soci::row& row : rows) {
      const std::string blob = db::RowText(row, 0);
      if (work.empty() || blob != work[blob_start].blob_id) {
        if (work.size() >= static_cast<size_t>(fetch)) break;
        blob_start = work.size();
      }
      const std::string language = db::RowText(row, 1);
      size_t i = blob_start;
      while (i < work.size() && work[i].language != language) ++i;
      const bool fresh = i == work.size();
      if (fresh) work.emplace_back();
      Fold(row, &work[i], fresh);
    }
    std::sort(work.begin(), work.end(), [](const AnalysisWork& a, const AnalysisWork& b) {
      return a.blob_id != b.blob_id ? a.blob_id < b.blob_id : a.language < b.language;
    });
    if (work.size() > static_cast<size_t>(query.limit)) {
      work.resize(static_cast<size_t>(query.limit));
      page.more = true;
    }
  } else {
    soci::rowset<soci::row> rows =
        (session.prepare << "SELECT d.blob_sha, COALESCE(d.language, ''), MIN(d.path), MAX(d.size),"
                            " MAX(d.is_binary), MAX(CASE WHEN d.content IS NULL THEN 0 ELSE 1 END),"
                            " MAX(COALESCE(r.unfinished, 0)), MAX(COALESCE(r.marked_by, '')),"
                            " MAX(COALESCE(r.failures, 0))" +
                                WorkFilter(dialect_) + " GROUP BY d.blob_sha, COALESCE(d.language, '') ORDER BY 1, 2 LIMIT :l",
         soci::use(tenant), soci::use(key.id), soci::use(key.version), soci::use(key.settings_hash), soci::use(id),
         soci::use(after_blob), soci::use(after_blob), soci::use(after_language), soci::use(fetch));
    for (const soci::row& row : rows) {
      page.work.emplace_back();
      Fold(row, &page.work.back(), true);
    }
    if (page.work.size() > static_cast<size_t>(query.limit)) {
      page.work.pop_back();
      page.more = true;
    }
  }
  // The content of the one path each blob is named by: on PostgreSQL in one
  // round trip for the page.
  if (dialect_ == db::Dialect::kPostgres) {
    std::map<std::string, AnalysisWork*> by_path;
    ArrayLiteral paths;
    for (AnalysisWork& w : page.work) {
      if (!w.has_content) continue;
      by_path[w.path] = &w;
      paths.Text(w.path);
      w.has_content = false;  // until its content is read
    }
    if (by_path.empty()) return page;
    std::string path_array = paths.Take();
    soci::rowset<soci::row> rows =
        (session.prepare << "SELECT path, content FROM documents WHERE project_id = :p"
                            " AND path = ANY(CAST(:paths AS text[])) AND content IS NOT NULL",
         soci::use(id), soci::use(path_array));
    for (const soci::row& row : rows) {
      auto it = by_path.find(db::RowText(row, 0));
      if (it == by_path.end()) continue;
      it->second->content = db::RowText(row, 1);
      it->second->has_content = true;
    }
    return page;
  }
  std::string path, content;
  soci::indicator content_ind = soci::i_null;
  soci::statement read = (session.prepare << "SELECT content FROM documents WHERE project_id = :p AND path = :path",
                          soci::use(id), soci::use(path), soci::into(content, content_ind));
  for (AnalysisWork& w : page.work) {
    if (!w.has_content) continue;
    path = w.path;
    content.clear();
    content_ind = soci::i_null;
    read.execute(true);
    if (content_ind == soci::i_ok) w.content = content;
    else w.has_content = false;  // replaced since the page was read
  }
  return page;
}

void AnalysisStore::MarkStarted(soci::session& session, const std::string& tenant, const AnalyzerKey& key,
                                const std::vector<AnalysisWork>& work, const std::string& owner) const {
  if (work.empty()) return;
  std::string now = NowIso8601(), blob, language;
  Begin(session, tenant);
  Transaction transaction(session);
  if (dialect_ == db::Dialect::kPostgres) {
    ArrayLiteral blobs, languages;
    for (const AnalysisWork& w : work) {
      blobs.Text(w.blob_id);
      languages.Text(w.language);
    }
    std::string blob_array = blobs.Take(), language_array = languages.Take();
    // DISTINCT: a batch that names a blob twice marks it once.
    session << std::string("INSERT INTO analysis_results (tenant_id, blob_sha, language, analyzer, analyzer_version,"
                           " settings_hash, state, unfinished, marked_by, created_at, updated_at)"
                           " SELECT DISTINCT :t, u.blob, u.lang, :a, :v, :h, 'running', 1, :o, :n, :n2"
                           " FROM unnest(CAST(:blobs AS text[]), CAST(:langs AS text[])) AS u(blob, lang)") +
                   kMarkConflictClause,
        soci::use(tenant), soci::use(key.id), soci::use(key.version), soci::use(key.settings_hash), soci::use(owner),
        soci::use(now), soci::use(now), soci::use(blob_array), soci::use(language_array);
    transaction.Commit();
    return;
  }
  {
    soci::statement mark =
        (session.prepare << "INSERT INTO analysis_results (tenant_id, blob_sha, language, analyzer, analyzer_version,"
                            " settings_hash, state, unfinished, marked_by, created_at, updated_at)"
                            " VALUES (:t, :b, :l, :a, :v, :h, 'running', 1, :o, :n, :n2)" +
                                std::string(kMarkConflictClause),
         soci::use(tenant), soci::use(blob), soci::use(language), soci::use(key.id), soci::use(key.version),
         soci::use(key.settings_hash), soci::use(owner), soci::use(now), soci::use(now));
    for (const AnalysisWork& w : work) {
      blob = w.blob_id;
      language = w.language;
      mark.execute(true);
    }
  }
  transaction.Commit();
}

void AnalysisStore::Put(soci::session& session, const std::string& tenant, const AnalyzerKey& key,
                        const std::vector<AnalysisResult>& results) const {
  if (results.empty()) return;
  std::string now = NowIso8601(), blob, language, state, reason, data;
  int retry = 0, failed = 0;
  soci::indicator reason_ind = soci::i_null, data_ind = soci::i_null;
  long long result_id = 0, ordinal = 0, start_line = 0, end_line = 0;
  std::string name, name_lower, tokens, kind, signature, parent, doc;
  if (dialect_ == db::Dialect::kPostgres && !HasRepeatedBlob(results)) {
    PutBatch(session, tenant, key, results);
    return;
  }
  Begin(session, tenant);
  Transaction transaction(session);
  {
    soci::statement upsert =
        (session.prepare << "INSERT INTO analysis_results (tenant_id, blob_sha, language, analyzer, analyzer_version,"
                            " settings_hash, state, reason, retry, failures, unfinished, data, created_at, updated_at)"
                            " VALUES (:t, :b, :l, :a, :v, :h, :s, :r, :retry, :f, 0, :d, :n, :n2)" +
                                std::string(kResultConflictClause),
         soci::use(tenant), soci::use(blob), soci::use(language), soci::use(key.id), soci::use(key.version),
         soci::use(key.settings_hash), soci::use(state), soci::use(reason, reason_ind), soci::use(retry),
         soci::use(failed), soci::use(data, data_ind), soci::use(now), soci::use(now));
    soci::statement find_id =
        (session.prepare << "SELECT id FROM analysis_results WHERE tenant_id = :t AND blob_sha = :b AND language = :l"
                            " AND analyzer = :a AND analyzer_version = :v AND settings_hash = :h",
         soci::use(tenant), soci::use(blob), soci::use(language), soci::use(key.id), soci::use(key.version),
         soci::use(key.settings_hash), soci::into(result_id));
    soci::statement clear =
        (session.prepare << "DELETE FROM analysis_symbols WHERE result_id = :id", soci::use(result_id));
    soci::statement add =
        (session.prepare << "INSERT INTO analysis_symbols (result_id, ordinal, tenant_id, name, name_lower, tokens,"
                            " kind, start_line, end_line, signature, parent, doc)"
                            " VALUES (:id, :o, :t, :name, :lower, :tokens, :kind, :sl, :el, :sig, :parent, :doc)",
         soci::use(result_id), soci::use(ordinal), soci::use(tenant), soci::use(name), soci::use(name_lower),
         soci::use(tokens), soci::use(kind), soci::use(start_line), soci::use(end_line), soci::use(signature),
         soci::use(parent), soci::use(doc));
    for (const AnalysisResult& result : results) {
      blob = result.blob_id;
      language = result.language;
      state = StateName(result.outcome);
      reason = result.reason;
      reason_ind = reason.empty() ? soci::i_null : soci::i_ok;
      bool analyzed = result.outcome == AnalysisOutcome::kAnalyzed;
      data = analyzed ? result.data : std::string();
      data_ind = analyzed ? soci::i_ok : soci::i_null;
      retry = result.outcome == AnalysisOutcome::kFailed && result.retry ? 1 : 0;
      failed = result.outcome == AnalysisOutcome::kFailed ? 1 : 0;
      upsert.execute(true);
      find_id.execute(true);
      clear.execute(true);
      if (!analyzed) continue;
      ordinal = 0;
      for (const Symbol& symbol : result.symbols) {
        name = symbol.name;
        name_lower = AsciiLower(symbol.name);
        tokens = SymbolTokens(symbol.name);
        kind = symbol.kind;
        start_line = symbol.start_line;
        end_line = symbol.end_line;
        signature = symbol.signature;
        parent = symbol.parent;
        doc = symbol.doc;
        add.execute(true);
        ++ordinal;
      }
    }
  }
  transaction.Commit();
}

void AnalysisStore::PutBatch(soci::session& session, const std::string& tenant, const AnalyzerKey& key,
                             const std::vector<AnalysisResult>& results) const {
  std::string now = NowIso8601();
  Begin(session, tenant);
  Transaction transaction(session);
  // The results' rows, in one statement.
  ArrayLiteral blobs, languages, states, reasons, retries, failures, datas;
  for (const AnalysisResult& r : results) {
    const bool analyzed = r.outcome == AnalysisOutcome::kAnalyzed;
    blobs.Text(r.blob_id);
    languages.Text(r.language);
    states.Text(std::string(StateName(r.outcome)));
    reasons.Text(r.reason.empty() ? nullptr : &r.reason);
    retries.Number(r.outcome == AnalysisOutcome::kFailed && r.retry ? 1 : 0);
    failures.Number(r.outcome == AnalysisOutcome::kFailed ? 1 : 0);
    datas.Text(analyzed ? &r.data : nullptr);
  }
  std::string blob_array = blobs.Take(), language_array = languages.Take(), state_array = states.Take(),
              reason_array = reasons.Take(), retry_array = retries.Take(), failure_array = failures.Take(),
              data_array = datas.Take();
  session << std::string("INSERT INTO analysis_results (tenant_id, blob_sha, language, analyzer, analyzer_version,"
                         " settings_hash, state, reason, retry, failures, unfinished, data, created_at, updated_at)"
                         " SELECT :t, u.blob, u.lang, :a, :v, :h, u.state, u.reason, u.retry, u.failed, 0, u.data,"
                         " :n, :n2 FROM unnest(CAST(:blobs AS text[]), CAST(:langs AS text[]),"
                         " CAST(:states AS text[]), CAST(:reasons AS text[]), CAST(:retries AS smallint[]),"
                         " CAST(:failures AS integer[]), CAST(:datas AS text[]))"
                         " AS u(blob, lang, state, reason, retry, failed, data)") +
                 kResultConflictClause,
      soci::use(tenant), soci::use(key.id), soci::use(key.version), soci::use(key.settings_hash), soci::use(now),
      soci::use(now), soci::use(blob_array), soci::use(language_array), soci::use(state_array),
      soci::use(reason_array), soci::use(retry_array), soci::use(failure_array), soci::use(data_array);

  // Their ids, to replace their symbols.
  std::map<std::pair<std::string, std::string>, long long> ids;
  {
    for (const AnalysisResult& r : results) {
      blobs.Text(r.blob_id);
      languages.Text(r.language);
    }
    blob_array = blobs.Take();
    language_array = languages.Take();
    soci::rowset<soci::row> rows =
        (session.prepare << "SELECT r.id, r.blob_sha, r.language FROM analysis_results r"
                            " JOIN unnest(CAST(:blobs AS text[]), CAST(:langs AS text[])) AS u(blob, lang)"
                            " ON r.blob_sha = u.blob AND r.language = u.lang"
                            " WHERE r.tenant_id = :t AND r.analyzer = :a AND r.analyzer_version = :v"
                            " AND r.settings_hash = :h",
         soci::use(blob_array), soci::use(language_array), soci::use(tenant), soci::use(key.id),
         soci::use(key.version), soci::use(key.settings_hash));
    for (const soci::row& row : rows) ids[{db::RowText(row, 1), db::RowText(row, 2)}] = db::RowInt(row, 0);
  }
  ArrayLiteral all_ids;
  for (const auto& [blob, id] : ids) all_ids.Number(id);
  std::string id_array = all_ids.Take();
  session << "DELETE FROM analysis_symbols WHERE result_id = ANY(CAST(:ids AS bigint[]))", soci::use(id_array);

  // The symbols of the analysed ones, a batch at a time.
  ArrayLiteral result_ids, ordinals, names, lowers, tokens, kinds, starts, ends, signatures, parents, docs;
  size_t rows = 0, bytes = 0;
  auto flush = [&] {
    if (rows == 0) return;
    std::string a[11] = {result_ids.Take(), ordinals.Take(), names.Take(),      lowers.Take(),
                         tokens.Take(),     kinds.Take(),    starts.Take(),     ends.Take(),
                         signatures.Take(), parents.Take(),  docs.Take()};
    session << "INSERT INTO analysis_symbols (result_id, ordinal, tenant_id, name, name_lower, tokens, kind,"
               " start_line, end_line, signature, parent, doc)"
               " SELECT u.id, u.ord, :t, u.name, u.lower, u.tokens, u.kind, u.sl, u.el, u.sig, u.parent, u.doc"
               " FROM unnest(CAST(:ids AS bigint[]), CAST(:ords AS integer[]), CAST(:names AS text[]),"
               " CAST(:lowers AS text[]), CAST(:tokens AS text[]), CAST(:kinds AS text[]),"
               " CAST(:starts AS integer[]), CAST(:ends AS integer[]), CAST(:sigs AS text[]),"
               " CAST(:parents AS text[]), CAST(:docs AS text[]))"
               " AS u(id, ord, name, lower, tokens, kind, sl, el, sig, parent, doc)",
        soci::use(tenant), soci::use(a[0]), soci::use(a[1]), soci::use(a[2]), soci::use(a[3]), soci::use(a[4]),
        soci::use(a[5]), soci::use(a[6]), soci::use(a[7]), soci::use(a[8]), soci::use(a[9]), soci::use(a[10]);
    rows = 0;
    bytes = 0;
  };
  for (const AnalysisResult& result : results) {
    if (result.outcome != AnalysisOutcome::kAnalyzed || result.symbols.empty()) continue;
    auto id = ids.find({result.blob_id, result.language});
    if (id == ids.end()) {
      throw std::runtime_error("the result of blob " + result.blob_id + " was not stored");
    }
    long long ordinal = 0;
    for (const Symbol& symbol : result.symbols) {
      result_ids.Number(id->second);
      ordinals.Number(ordinal++);
      names.Text(symbol.name);
      lowers.Text(AsciiLower(symbol.name));
      tokens.Text(SymbolTokens(symbol.name));
      kinds.Text(symbol.kind);
      starts.Number(symbol.start_line);
      ends.Number(symbol.end_line);
      signatures.Text(symbol.signature);
      parents.Text(symbol.parent);
      docs.Text(symbol.doc);
      ++rows;
      bytes += symbol.name.size() * 3 + symbol.signature.size() + symbol.doc.size() + symbol.parent.size() + 64;
      if (rows >= kSymbolBatchRows || bytes >= kSymbolBatchBytes) flush();
    }
  }
  flush();
  transaction.Commit();
}

std::optional<AnalysisResult> AnalysisStore::Get(soci::session& session, const ProjectRef& project,
                                                 const AnalyzerKey& key, const std::string& path) const {
  long long id = project.id, result_id = 0;
  std::string tenant = project.tenant, wanted = path;
  std::optional<AnalysisResult> found;
  {
    soci::rowset<soci::row> rows =
        (session.prepare << std::string("SELECT r.id, r.blob_sha, r.language, r.state, r.reason, r.retry, r.data"
                                        " FROM documents d JOIN") +
                                kResultJoin + " WHERE d.project_id = :p AND d.path = :path AND r.state <> 'running'",
         soci::use(tenant), soci::use(key.id), soci::use(key.version), soci::use(key.settings_hash), soci::use(id),
         soci::use(wanted));
    for (const soci::row& row : rows) {
      result_id = db::RowInt(row, 0);
      found = ResultFromRow(row, 1);
    }
  }
  if (!found || found->outcome != AnalysisOutcome::kAnalyzed) return found;
  soci::rowset<soci::row> symbols =
      (session.prepare << "SELECT name, kind, start_line, end_line, signature, parent, doc FROM analysis_symbols"
                          " WHERE result_id = :id ORDER BY ordinal",
       soci::use(result_id));
  for (const soci::row& row : symbols) found->symbols.push_back(SymbolFromRow(row, 0));
  return found;
}

std::vector<AnalysisResult> AnalysisStore::GetMany(soci::session& session, const std::string& tenant,
                                                   const AnalyzerKey& key,
                                                   const std::vector<RepositoryFile>& files) const {
  constexpr size_t kChunk = 500;  // blobs per statement
  std::map<std::pair<std::string, std::string>, AnalysisResult> found;  // by (blob, language)
  std::map<long long, AnalysisResult*> by_id;
  std::set<std::string> blobs;
  for (const RepositoryFile& f : files) blobs.insert(f.blob_id);
  const std::string results_sql =
      "SELECT id, blob_sha, language, state, reason, retry, data FROM analysis_results WHERE tenant_id = :t"
      " AND analyzer = :a AND analyzer_version = :v AND settings_hash = :h AND state <> 'running' AND " +
      SqlList::In(dialect_, "blob_sha", "blobs", "text");
  for (auto it = blobs.begin(); it != blobs.end();) {
    SqlList list(dialect_);
    for (; it != blobs.end() && list.count() < kChunk; ++it) list.Add(*it);
    std::string values = list.Take();
    std::string t = tenant;
    soci::rowset<soci::row> rows = (session.prepare << results_sql, soci::use(t), soci::use(key.id),
                                    soci::use(key.version), soci::use(key.settings_hash), soci::use(values));
    for (const soci::row& row : rows) {
      AnalysisResult r = ResultFromRow(row, 1);
      auto [slot, added] = found.emplace(std::make_pair(r.blob_id, r.language), std::move(r));
      if (added && slot->second.outcome == AnalysisOutcome::kAnalyzed) by_id[db::RowInt(row, 0)] = &slot->second;
    }
  }
  const std::string symbols_sql =
      "SELECT result_id, name, kind, start_line, end_line, signature, parent, doc FROM analysis_symbols WHERE " +
      SqlList::In(dialect_, "result_id", "ids", "bigint") + " ORDER BY result_id, ordinal";
  for (auto it = by_id.begin(); it != by_id.end();) {
    SqlList list(dialect_);
    for (; it != by_id.end() && list.count() < kChunk; ++it) list.Add(it->first);
    std::string values = list.Take();
    soci::rowset<soci::row> rows = (session.prepare << symbols_sql, soci::use(values));
    for (const soci::row& row : rows) by_id.at(db::RowInt(row, 0))->symbols.push_back(SymbolFromRow(row, 1));
  }
  std::vector<AnalysisResult> out;
  out.reserve(files.size());
  for (const RepositoryFile& f : files) {
    auto hit = found.find({f.blob_id, f.language});
    if (hit != found.end()) {
      out.push_back(hit->second);
      continue;
    }
    AnalysisResult none;
    none.blob_id = f.blob_id;
    none.language = f.language;
    none.outcome = AnalysisOutcome::kFailed;
    none.reason = "no result";
    out.push_back(std::move(none));
  }
  return out;
}

AnalysisCounts AnalysisStore::Count(soci::session& session, const ProjectRef& project,
                                    const AnalyzerKey& key) const {
  long long id = project.id;
  std::string tenant = project.tenant;
  AnalysisCounts counts;
  soci::rowset<soci::row> rows =
      (session.prepare << std::string("SELECT COALESCE(r.state, 'running'), COUNT(*) FROM"
                                      " (SELECT DISTINCT blob_sha, language FROM documents d WHERE d.project_id = :p"
                                      " AND") +
                              kAnalysedKinds + ") d LEFT JOIN" + kResultJoin + " GROUP BY COALESCE(r.state, 'running')",
       soci::use(id), soci::use(tenant), soci::use(key.id), soci::use(key.version), soci::use(key.settings_hash));
  for (const soci::row& row : rows) {
    std::string state = db::RowText(row, 0);
    int64_t n = db::RowInt(row, 1);
    if (state == "analyzed") counts.analyzed += n;
    else if (state == "failed") counts.failed += n;
    else if (state == "skipped") counts.skipped += n;
    else if (state == "poison") counts.poison += n;
    else counts.pending += n;
  }
  return counts;
}

SymbolPage AnalysisStore::Search(soci::session& session, const ProjectRef& project, const SymbolQuery& query) const {
  long long id = project.id, fetch = static_cast<long long>(query.limit) + 1;
  std::string tenant = project.tenant, kind = query.kind, prefix = query.path_prefix;
  std::string lower = AsciiLower(query.text);
  std::string name_prefix = EscapeLike(lower) + "%";
  std::string token_prefix = "% " + EscapeLike(lower) + "%";
  SymbolPage page;
  soci::rowset<soci::row> rows =
      (session.prepare << std::string("SELECT d.path, COALESCE(d.language, ''), s.name, s.kind, s.start_line,"
                                      " s.end_line, s.signature, s.parent, s.doc,"
                                      " CASE WHEN s.name_lower = :q THEN 0 WHEN s.name_lower LIKE :np ESCAPE '\\'"
                                      " THEN 1 ELSE 2 END AS m"
                                      " FROM documents d JOIN") +
                              kResultJoin +
                              " AND r.state = 'analyzed' JOIN analysis_symbols s ON s.result_id = r.id"
                              " WHERE d.project_id = :p AND s.tenant_id = :t2"
                              " AND (s.name_lower LIKE :np2 ESCAPE '\\' OR s.tokens LIKE :tp ESCAPE '\\')"
                              " AND (s.kind = :k OR :k2 = '')"
                              " AND substr(d.path, 1, length(CAST(:x AS TEXT))) = CAST(:y AS TEXT)"
                              " ORDER BY m, s.name, d.path, s.start_line LIMIT :l",
       soci::use(lower), soci::use(name_prefix), soci::use(tenant), soci::use(query.key.id),
       soci::use(query.key.version), soci::use(query.key.settings_hash), soci::use(id), soci::use(tenant),
       soci::use(name_prefix), soci::use(token_prefix), soci::use(kind), soci::use(kind), soci::use(prefix),
       soci::use(prefix), soci::use(fetch));
  for (const soci::row& row : rows) {
    SymbolHit hit;
    hit.path = db::RowText(row, 0);
    hit.language = db::RowText(row, 1);
    hit.symbol = SymbolFromRow(row, 2);
    hit.match = static_cast<int>(db::RowInt(row, 9));
    page.hits.push_back(std::move(hit));
  }
  if (page.hits.size() > static_cast<size_t>(query.limit)) {
    page.hits.pop_back();
    page.more = true;
  }
  return page;
}

int64_t AnalysisStore::Collect(soci::session& session, const std::string& tenant,
                               const std::vector<AnalyzerKey>& active, int64_t grace_seconds) const {
  int64_t now_seconds = NowUnixSeconds();
  std::string now = Iso8601FromUnixSeconds(now_seconds);
  std::string cutoff = Iso8601FromUnixSeconds(now_seconds - grace_seconds);
  // Whether a result's key is still wanted: an active key, or an analyzer
  // that is not configured now at all (its results wait, with their blobs,
  // for it to come back). An active analyzer's other versions and settings
  // are not. The keys travel as bound values.
  std::string is_active = "(1 = 0";
  std::string ids;
  for (size_t i = 0; i < active.size(); ++i) {
    std::string n = std::to_string(i);
    is_active += " OR (analyzer = :a" + n + " AND analyzer_version = :v" + n + " AND settings_hash = :h" + n + ")";
    ids += (ids.empty() ? ":i" : ", :i") + n;
  }
  is_active += active.empty() ? " OR 1 = 1)" : " OR analyzer NOT IN (" + ids + "))";
  // Documents of any project of the tenant keep a result (on PostgreSQL the
  // tenant's only; on SQLite, which has no tenants apart, any project's,
  // which only keeps a result longer).
  std::string needed = is_active + " AND EXISTS (SELECT 1 FROM documents d WHERE d.blob_sha = analysis_results.blob_sha)";
  auto bind_keys = [&](soci::statement& st) {
    for (const AnalyzerKey& key : active) {
      st.exchange(soci::use(key.id));
      st.exchange(soci::use(key.version));
      st.exchange(soci::use(key.settings_hash));
    }
    for (const AnalyzerKey& key : active) st.exchange(soci::use(key.id));
  };
  Begin(session, tenant);
  Transaction transaction(session);
  {
    soci::statement unmark(session);
    unmark.exchange(soci::use(tenant));
    bind_keys(unmark);
    unmark.alloc();
    unmark.prepare("UPDATE analysis_results SET unused_since = NULL WHERE tenant_id = :t AND unused_since IS NOT NULL"
                   " AND " + needed);
    unmark.define_and_bind();
    unmark.execute(true);
  }
  {
    soci::statement mark(session);
    mark.exchange(soci::use(now));
    mark.exchange(soci::use(tenant));
    bind_keys(mark);
    mark.alloc();
    mark.prepare("UPDATE analysis_results SET unused_since = :n WHERE tenant_id = :t AND unused_since IS NULL"
                 " AND NOT (" + needed + ")");
    mark.define_and_bind();
    mark.execute(true);
  }
  long long removed = 0;
  session << "SELECT COUNT(*) FROM analysis_results WHERE tenant_id = :t AND unused_since IS NOT NULL"
             " AND unused_since <= :c",
      soci::use(tenant), soci::use(cutoff), soci::into(removed);
  session << "DELETE FROM analysis_symbols WHERE tenant_id = :t AND result_id IN (SELECT id FROM analysis_results"
             " WHERE tenant_id = :t2 AND unused_since IS NOT NULL AND unused_since <= :c)",
      soci::use(tenant), soci::use(tenant), soci::use(cutoff);
  session << "DELETE FROM analysis_results WHERE tenant_id = :t AND unused_since IS NOT NULL AND unused_since <= :c",
      soci::use(tenant), soci::use(cutoff);
  transaction.Commit();
  return removed;
}

}  // namespace tether::sql_storage

#include "text_search.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "shared/row_values.h"
#include "sql_transaction.h"
#include "symbol_tokens.h"

namespace tether::sql_storage {
namespace {

using db::Dialect;

// Bytes of a snippet kept before the match when its line is too long.
constexpr size_t kContextBefore = 120;

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The code point of the well-formed UTF-8 sequence at `text[at]` and its
// length, or a length of 0 when the bytes there are not one (overlong forms,
// surrogates and values past U+10FFFF included).
size_t DecodeAt(std::string_view text, size_t at) {
  const unsigned char lead = static_cast<unsigned char>(text[at]);
  if (lead < 0x80) return 1;
  size_t length = 0;
  uint32_t point = 0, smallest = 0;
  if (lead >= 0xC2 && lead <= 0xDF) length = 2, point = lead & 0x1Fu, smallest = 0x80;
  else if (lead >= 0xE0 && lead <= 0xEF) length = 3, point = lead & 0x0Fu, smallest = 0x800;
  else if (lead >= 0xF0 && lead <= 0xF4) length = 4, point = lead & 0x07u, smallest = 0x10000;
  else return 0;
  if (text.size() - at < length) return 0;
  for (size_t k = 1; k < length; ++k) {
    if (!IsContinuation(text[at + k])) return 0;
    point = (point << 6) | (static_cast<unsigned char>(text[at + k]) & 0x3Fu);
  }
  if (point < smallest || point > 0x10FFFF || (point >= 0xD800 && point <= 0xDFFF)) return 0;
  return length;
}

// How many characters `text` holds; -1 when it is not valid UTF-8.
int64_t CountCharacters(std::string_view text) {
  int64_t characters = 0;
  for (size_t at = 0; at < text.size(); ++characters) {
    const size_t length = DecodeAt(text, at);
    if (length == 0) return -1;
    at += length;
  }
  return characters;
}

// `text` with each byte that starts no valid sequence replaced by U+FFFD,
// cut to at most `max` bytes at a character boundary.
std::string ValidText(std::string_view text, size_t max) {
  std::string out;
  for (size_t at = 0; at < text.size();) {
    const size_t length = DecodeAt(text, at);
    const std::string_view piece = length == 0 ? std::string_view("\xEF\xBF\xBD") : text.substr(at, length);
    if (out.size() + piece.size() > max) break;
    out.append(piece);
    at += length == 0 ? 1 : length;
  }
  return out;
}

// The lines of `content` that the match at [at, at + length) spans, without
// line ends; a window around the match when they are longer than a snippet.
std::string Snippet(std::string_view content, size_t at, size_t length) {
  const size_t newline_before = at == 0 ? std::string_view::npos : content.rfind('\n', at - 1);
  size_t begin = newline_before == std::string_view::npos ? 0 : newline_before + 1;
  size_t end = content.find('\n', at + length - 1);
  if (end == std::string_view::npos) end = content.size();
  if (end > begin && content[end - 1] == '\r') --end;
  if (end - begin > kTextSnippetMaxBytes) {
    if (at > begin + kContextBefore) begin = at - kContextBefore;
    while (begin < at && IsContinuation(content[begin])) ++begin;
    end = std::min(end, begin + kTextSnippetMaxBytes);
    while (end > at + 1 && end < content.size() && IsContinuation(content[end])) --end;
  }
  std::string lines;
  for (char c : content.substr(begin, end - begin)) {
    if (c == '\n' && !lines.empty() && lines.back() == '\r') lines.pop_back();
    lines += c;
  }
  return ValidText(lines, kTextSnippetMaxBytes);
}

// The FTS5 query for the documents that hold every 3-character sequence
// of `text` (valid UTF-8, at least 3 characters): an AND of those
// sequences, each one string whose only special character, '"', is
// doubled. The index keeps no positions (0020), so it cannot match a
// phrase; the candidates' content is checked anyway. The first
// kMaxTrigrams different sequences narrow the candidates enough; a longer
// text's others would only cost the index more lists to read.
std::string FtsTrigrams(const std::string& text) {
  constexpr size_t kMaxTrigrams = 64;
  std::vector<size_t> starts;  // where each character begins, and the end
  for (size_t at = 0; at < text.size(); ++at) {
    if (!IsContinuation(text[at])) starts.push_back(at);
  }
  starts.push_back(text.size());
  std::vector<std::string> trigrams;
  for (size_t i = 0; i + 3 < starts.size() && trigrams.size() < kMaxTrigrams; ++i) {
    std::string trigram = text.substr(starts[i], starts[i + 3] - starts[i]);
    if (std::find(trigrams.begin(), trigrams.end(), trigram) == trigrams.end()) trigrams.push_back(std::move(trigram));
  }
  std::string query;
  for (const std::string& trigram : trigrams) {
    query += query.empty() ? "\"" : " AND \"";
    for (char c : trigram) {
      if (c == '"') query += '"';
      query += c;
    }
    query += '"';
  }
  return query;
}

// A document the index says may hold the text.
struct Candidate {
  long long id = 0;
  std::string path;
};

}  // namespace

Status CheckTextQuery(const TextQuery& query) {
  if (query.limit < 1 || query.limit > 1000) {
    return Status::InvalidArgument("a text search returns 1 to 1000 hits, not " + std::to_string(query.limit));
  }
  if (query.text.size() > kTextQueryMaxBytes) {
    return Status::InvalidArgument("the search text is " + std::to_string(query.text.size()) + " bytes; at most " +
                                   std::to_string(kTextQueryMaxBytes) + " are searched");
  }
  if (query.text.find('\0') != std::string::npos) {
    return Status::InvalidArgument("the search text holds a NUL character");
  }
  const int64_t characters = CountCharacters(query.text);
  if (characters < 0) return Status::InvalidArgument("the search text is not valid UTF-8");
  if (characters < kTextQueryMinChars) {
    return Status::InvalidArgument("the search text has " + std::to_string(characters) +
                                   " characters; a text search needs at least " +
                                   std::to_string(kTextQueryMinChars));
  }
  return Status::Ok();
}

std::vector<TextHit> FindInContent(std::string_view content, const TextQuery& query, size_t max_hits) {
  std::vector<TextHit> hits;
  const std::string needle = query.case_sensitive ? query.text : AsciiLower(query.text);
  if (needle.empty() || max_hits == 0) return hits;
  std::string folded;
  std::string_view haystack = content;
  if (!query.case_sensitive) {
    folded = AsciiLower(content);
    haystack = folded;
  }
  const std::boyer_moore_horspool_searcher searcher(needle.begin(), needle.end());
  int64_t line = 1;
  size_t counted_to = 0;  // the newlines before here are in `line`
  for (size_t from = 0; from + needle.size() <= haystack.size();) {
    const auto found = std::search(haystack.begin() + from, haystack.end(), searcher);
    if (found == haystack.end()) break;
    const size_t at = static_cast<size_t>(found - haystack.begin());
    line += std::count(content.begin() + counted_to, content.begin() + at, '\n');
    counted_to = at;
    from = at + needle.size();
    if (!hits.empty() && hits.back().start_line == line) {
      ++hits.back().matches;
      continue;
    }
    if (hits.size() == max_hits) break;
    TextHit hit;
    hit.start_line = line;
    hit.end_line = line + std::count(content.begin() + at, content.begin() + at + needle.size() - 1, '\n');
    hit.matches = 1;
    hit.snippet = Snippet(content, at, needle.size());
    hits.push_back(std::move(hit));
  }
  return hits;
}

TextPage TextSearch::Search(soci::session& session, const ProjectRef& project, const TextQuery& query) const {
  const bool postgres = dialect_ == Dialect::kPostgres;
  session << (postgres ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN");
  Transaction transaction(session);
  long long id = project.id;
  std::string prefix = query.path_prefix;
  TextPage page;
  {
    soci::indicator ind = soci::i_null;
    session << "SELECT commit_id FROM storage_cursors WHERE project_id = :p", soci::use(id),
        soci::into(page.commit, ind);
    if (!session.got_data() || ind != soci::i_ok) page.commit.clear();
  }

  // The documents the index names, in path order: only their ids and paths
  // are read here, and the content of each below until the page is full.
  std::vector<Candidate> candidates;
  const auto collect = [&candidates](soci::rowset<soci::row>& rows) {
    for (const soci::row& row : rows) {
      Candidate candidate;
      candidate.id = db::RowInt(row, 0);
      candidate.path = db::RowText(row, 1);
      candidates.push_back(std::move(candidate));
    }
  };
  // Columns stored before content only: on SQLite a later one (language)
  // would walk the content's overflow pages of every candidate.
  const std::string columns = "SELECT d.id, d.path";
  const std::string path_filter = " AND substr(d.path, 1, length(CAST(:x AS TEXT))) = CAST(:y AS TEXT)";
  if (postgres) {
    // pg_trgm answers LIKE and ILIKE from its index of the indexed
    // documents (0018); ILIKE folds more than ASCII, so FindInContent has
    // the last word.
    std::string pattern = "%" + EscapeLike(query.text) + "%";
    soci::rowset<soci::row> rows =
        (session.prepare << columns + " FROM documents d WHERE d.project_id = :p AND d.text_indexed AND d.content " +
                                (query.case_sensitive ? "LIKE" : "ILIKE") + " :pattern" + path_filter +
                                " ORDER BY d.path",
         soci::use(id), soci::use(pattern), soci::use(prefix), soci::use(prefix));
    collect(rows);
  } else {
    // The trigram table folds case: a case-sensitive search's candidates
    // are checked as they are read, until the page is full. CROSS JOIN
    // keeps the index first: SQLite would otherwise walk the project's
    // documents and run the MATCH once per row.
    // A document still pending may be indexed under its old content
    // (0019): it is read below with the others that wait, not here.
    std::string match = FtsTrigrams(query.text);
    soci::rowset<soci::row> rows =
        (session.prepare << columns + " FROM documents_text t CROSS JOIN documents d ON d.id = t.rowid"
                                      " WHERE documents_text MATCH :m AND d.project_id = :p"
                                      " AND NOT EXISTS (SELECT 1 FROM documents_text_pending q WHERE q.id = d.id)" +
                                path_filter + " ORDER BY d.path",
         soci::use(match), soci::use(id), soci::use(prefix), soci::use(prefix));
    collect(rows);
  }
  // Documents the index does not hold yet (IndexPending) are candidates
  // all: their content is read and searched like the others'.
  const size_t indexed = candidates.size();
  soci::rowset<soci::row> waiting =
      (session.prepare << columns +
                              (postgres ? " FROM documents d WHERE d.project_id = :p AND NOT d.text_indexed"
                                          " AND d.content IS NOT NULL"
                                        : " FROM documents_text_pending q CROSS JOIN documents d ON d.id = q.id"
                                          " WHERE q.project_id = :p") +
                              path_filter + " ORDER BY d.path",
       soci::use(id), soci::use(prefix), soci::use(prefix));
  collect(waiting);
  if (candidates.size() != indexed) {
    std::inplace_merge(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(indexed),
                       candidates.end(), [](const Candidate& a, const Candidate& b) { return a.path < b.path; });
  }

  const size_t wanted = static_cast<size_t>(query.limit) + 1;  // one more: is there a next page?
  long long document_id = 0;
  std::string content, language;
  soci::indicator content_ind = soci::i_null;
  soci::statement read =
      (session.prepare << "SELECT content, COALESCE(language, '') FROM documents WHERE id = :id",
       soci::use(document_id), soci::into(content, content_ind), soci::into(language));
  for (const Candidate& candidate : candidates) {
    if (page.hits.size() >= wanted) break;
    document_id = candidate.id;
    content.clear();
    if (!read.execute(true) || content_ind != soci::i_ok) continue;
    for (TextHit& hit : FindInContent(content, query, wanted - page.hits.size())) {
      hit.path = candidate.path;
      hit.language = language;
      page.hits.push_back(std::move(hit));
    }
  }
  transaction.Commit();
  if (page.hits.size() > static_cast<size_t>(query.limit)) {
    page.hits.resize(static_cast<size_t>(query.limit));
    page.more = true;
  }
  return page;
}

int64_t TextSearch::IndexPending(soci::session& session, long long project_id, int64_t max_documents) const {
  if (max_documents < 1) return 0;
  long long limit = max_documents;
  if (dialect_ == Dialect::kPostgres) {
    // The flag puts a row in the trigram index (0018's partial index); the
    // first ones in path order, from the index of those waiting.
    session << "BEGIN";
    Transaction transaction(session);
    soci::statement index =
        (session.prepare << "UPDATE documents SET text_indexed = true WHERE id IN (SELECT id FROM documents"
                            " WHERE project_id = :p AND NOT text_indexed AND content IS NOT NULL"
                            " ORDER BY path LIMIT :n)",
         soci::use(project_id), soci::use(limit));
    index.execute(true);
    const int64_t done = static_cast<int64_t>(index.get_affected_rows());
    transaction.Commit();
    return done;
  }
  session << "BEGIN IMMEDIATE";
  Transaction transaction(session);
  // The batch: the project's first `limit` waiting documents, those up to
  // the last one's id. One statement per step over the whole batch: FTS5
  // writes what it gathered at the end of every statement (a savepoint),
  // so one statement per document cost a third more.
  long long count = 0, last = 0;
  soci::indicator last_ind = soci::i_null;
  session << "SELECT COUNT(*), MAX(id) FROM (SELECT id FROM documents_text_pending WHERE project_id = :p"
             " ORDER BY id LIMIT :n) AS batch",
      soci::use(project_id), soci::use(limit), soci::into(count), soci::into(last, last_ind);
  if (count == 0 || last_ind != soci::i_ok) return 0;
  // What the index holds of a document changed since it was indexed goes
  // first (0019): FTS5 finds its entries from that content.
  session << "INSERT INTO documents_text (documents_text, rowid, content)"
             " SELECT 'delete', id, indexed_content FROM documents_text_pending"
             " WHERE project_id = :p AND id <= :last AND indexed_content IS NOT NULL",
      soci::use(project_id), soci::use(last);
  session << "INSERT INTO documents_text (rowid, content) SELECT d.id, d.content"
             " FROM documents_text_pending q CROSS JOIN documents d ON d.id = q.id"
             " WHERE q.project_id = :p AND q.id <= :last AND d.content IS NOT NULL",
      soci::use(project_id), soci::use(last);
  session << "DELETE FROM documents_text_pending WHERE project_id = :p AND id <= :last", soci::use(project_id),
      soci::use(last);
  transaction.Commit();
  return static_cast<int64_t>(count);
}

}  // namespace tether::sql_storage

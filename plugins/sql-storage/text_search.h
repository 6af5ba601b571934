// TextSearch: Storage::SearchText (storage.h, ABI 3.5) on the documents
// table and its trigram index (migration 0014: SQLite's FTS5 table
// documents_text, PostgreSQL's pg_trgm index on documents.content), and
// Storage::IndexText (ABI 3.8): the index takes a document's content after
// the write that stored it (migrations 0017: until then the document is
// named in documents_text_pending on SQLite, has text_indexed false on
// PostgreSQL, and a search reads its content as it reads every
// candidate's). On SQLite a changed document's old content also leaves the
// index then, not in the write (0019).
//
// The index names the candidate documents; each candidate's content is then
// read and searched here, which gives the lines and snippets and makes both
// databases answer alike (their case folding differs beyond ASCII). Runs in
// one read transaction, so the hits and the cursor they come with are of one
// commit.
//
// Search runs on the session it is given, which the caller owns, has bound
// to the project's tenant (BindTenant) and uses from one thread at a time;
// it throws soci::soci_error (or std::exception) on a database error, and
// the caller turns that into a Status.
#ifndef TETHER_PLUGINS_SQL_STORAGE_TEXT_SEARCH_H_
#define TETHER_PLUGINS_SQL_STORAGE_TEXT_SEARCH_H_

#include <string>
#include <string_view>
#include <vector>

#include <soci/soci.h>

#include "shared/sql_connect.h"
#include "tether/storage.h"

namespace tether::sql_storage {

// InvalidArgument, naming what is wrong, for a query outside TextQuery's
// rules (storage.h); OK otherwise.
Status CheckTextQuery(const TextQuery& query);

// The first `max_hits` hits of `query.text` in one document's `content`, in
// line order, without path and language: what SearchText answers for that
// document. Pure; safe from any thread.
std::vector<TextHit> FindInContent(std::string_view content, const TextQuery& query, size_t max_hits);

class TextSearch {
 public:
  explicit TextSearch(db::Dialect dialect) : dialect_(dialect) {}

  // The query must have passed CheckTextQuery.
  TextPage Search(soci::session& session, const ProjectRef& project, const TextQuery& query) const;

  // Indexes the content of at most `max_documents` of the project's
  // pending documents in one transaction of its own (begun and committed
  // here) and returns how many: 0 when none is left.
  int64_t IndexPending(soci::session& session, long long project_id, int64_t max_documents) const;

 private:
  db::Dialect dialect_;
};

}  // namespace tether::sql_storage

#endif  // TETHER_PLUGINS_SQL_STORAGE_TEXT_SEARCH_H_

#include "engine/app/document_reader.h"

#include <soci/soci.h>

#include "engine/db/row_values.h"

namespace tether::app {
namespace {

const char kColumns[] =
    "SELECT path, blob_sha, kind, mode, size, is_binary, language,"
    " CASE WHEN content IS NULL THEN 0 ELSE 1 END, CASE WHEN embedding IS NULL THEN 0 ELSE 1 END,"
    " updated_commit, updated_at";

using db::RowInt;
using db::RowText;

DocumentInfo InfoFromRow(const soci::row& row) {
  DocumentInfo d;
  d.path = RowText(row, 0);
  d.blob = RowText(row, 1);
  d.kind = RowText(row, 2);
  d.mode = RowInt(row, 3);
  d.size = RowInt(row, 4);
  d.is_binary = RowInt(row, 5) != 0;
  d.language = RowText(row, 6);
  d.has_content = RowInt(row, 7) != 0;
  d.has_embedding = RowInt(row, 8) != 0;
  d.updated_commit = RowText(row, 9);
  d.updated_at = RowText(row, 10);
  return d;
}

}  // namespace

Result<DocumentPage> DocumentReader::List(int64_t project_id, const std::string& after, int limit) {
  DocumentPage page;
  long long pid = project_id, fetch = limit + 1;  // one more tells whether a next page exists
  try {
    soci::rowset<soci::row> rows =
        (db_->session().prepare << std::string(kColumns) +
                                       " FROM documents WHERE project_id = :p AND path > :a ORDER BY path LIMIT :l",
         soci::use(pid), soci::use(after), soci::use(fetch));
    for (const soci::row& row : rows) page.documents.push_back(InfoFromRow(row));
  } catch (...) {
    return db::StatusFromCurrentException("cannot read documents");
  }
  if (page.documents.size() > static_cast<size_t>(limit)) {
    page.documents.pop_back();
    page.next_after = page.documents.back().path;
  }
  return page;
}

Result<DocumentWithContent> DocumentReader::Get(int64_t project_id, const std::string& path) {
  long long pid = project_id;
  try {
    soci::rowset<soci::row> rows =
        (db_->session().prepare << std::string(kColumns) +
                                       ", content FROM documents WHERE project_id = :p AND path = :path",
         soci::use(pid), soci::use(path));
    for (const soci::row& row : rows) {
      DocumentWithContent document;
      document.info = InfoFromRow(row);
      document.content = RowText(row, 11);
      return document;
    }
  } catch (...) {
    return db::StatusFromCurrentException("cannot read document \"" + path + "\"");
  }
  return Status::NotFound("no document \"" + path + "\" in this project");
}

}  // namespace tether::app

// DocumentReader: reads the synced documents of a project from the engine's
// `documents` table (where the bundled sql-storage keeps them), a page at a
// time in path order, without ever loading embeddings.
//
// Thread safety: none; one reader per Database, used by one thread.
// Errors: NotFound for a path the project does not have; Unavailable/
// Internal for database failures.
#ifndef TETHER_ENGINE_APP_DOCUMENT_READER_H_
#define TETHER_ENGINE_APP_DOCUMENT_READER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/db/database.h"
#include "tether/status.h"

namespace tether::app {

struct DocumentInfo {
  std::string path;
  std::string blob;      // the provider's blob id
  std::string kind;      // file, executable, symlink, submodule
  int64_t mode = 0;
  int64_t size = 0;
  bool is_binary = false;
  std::string language;  // empty when unknown
  bool has_content = false;
  bool has_embedding = false;
  std::string updated_commit;
  std::string updated_at;
};

struct DocumentPage {
  std::vector<DocumentInfo> documents;
  std::string next_after;  // the path to continue after; empty on the last page
};

struct DocumentWithContent {
  DocumentInfo info;
  std::string content;  // meaningful when info.has_content
};

class DocumentReader {
 public:
  explicit DocumentReader(db::Database* db) : db_(db) {}

  // Up to `limit` documents whose path sorts after `after` ("" for the
  // first page), in path order.
  Result<DocumentPage> List(int64_t project_id, const std::string& after, int limit);
  Result<DocumentWithContent> Get(int64_t project_id, const std::string& path);

 private:
  db::Database* db_;
};

}  // namespace tether::app

#endif  // TETHER_ENGINE_APP_DOCUMENT_READER_H_

// Search over a project's synced code, the use case behind `tether search`
// and GET /api/v1/search: one request shape, one result shape, whatever the
// mode.
//
//   text      every occurrence of the query in the current documents'
//             content, literally (Storage::SearchText, SDK 3.5)
//   symbol    symbols whose name matches (Storage::SearchSymbols, an
//             analyzer's results: "code" unless another is named)
//   semantic  the chunks whose vectors are nearest the query's, embedded by
//             the embeddings analyzer's model (semantic_search.h)
//
// Results are of the project's current documents only, as its storage
// holds them after its last sync: never of another branch, an older commit
// or another project.
//
// Thread safety: pure functions of their arguments; Search uses `db` and the
// storage from the calling thread.
#ifndef TETHER_ENGINE_SEARCH_SEARCH_H_
#define TETHER_ENGINE_SEARCH_SEARCH_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/json_writer.h"
#include "engine/db/database.h"
#include "engine/plugin_host/plugin_host.h"
#include "tether/status.h"

namespace tether::search {

class SemanticIndexCache;

enum class SearchMode { kText, kSymbol, kSemantic };

// "text", "symbol", "semantic"; nullopt for anything else.
std::optional<SearchMode> ParseSearchMode(std::string_view name);
const char* SearchModeName(SearchMode mode);

constexpr int kDefaultSearchLimit = 20;
constexpr int kMaxSearchLimit = 1000;

struct SearchRequest {
  std::string project;
  std::string query;
  SearchMode mode = SearchMode::kText;
  int limit = kDefaultSearchLimit;  // 1 to kMaxSearchLimit
  std::string path_prefix;          // "" for every path
  bool case_sensitive = false;      // text mode: ASCII letters fold unless set
  std::string analyzer = "code";    // symbol mode: whose symbols
};

// What is wrong with a request, by the field it came in: "query", "mode",
// "limit", "path" or "case_sensitive" (each caller names it its own way).
struct SearchInputError {
  std::string field;
  std::string message;
};

// The request's own rules, before anything is looked up: a query for the
// mode (text: UTF-8 without NUL of 3 characters to 1024 bytes, as
// Storage::SearchText takes it), a limit in range and a path that is text.
std::optional<SearchInputError> CheckSearchRequest(const SearchRequest& request);

// One hit, the same shape in every mode: the lines it spans (1-based), a
// score (text: the occurrences on its first line; symbol: 3 for the whole
// name, 2 a prefix, 1 a sub-token's prefix) and a snippet (text: the lines;
// symbol: its signature, or its name).
struct SearchHit {
  std::string path;
  std::string language;
  int64_t start_line = 0;
  int64_t end_line = 0;
  double score = 0;
  std::string snippet;
  std::string symbol;       // symbol mode: the symbol's name
  std::string symbol_kind;  // symbol mode: function, class, ...
};

struct SearchResults {
  std::string project;
  std::string branch;  // the branch the project follows
  std::string commit;  // its storage's cursor: the synced commit searched
  SearchMode mode = SearchMode::kText;
  std::vector<SearchHit> hits;  // text: in path and line order; symbol: best first
  bool more = false;            // more than `limit` matched
  int64_t compared = 0;         // semantic: the chunks compared with the query
  std::string space;            // semantic: the vectors' space (model and dimensions)
};

// Searches the project `request.project` of `tenant`. Errors: InvalidArgument
// for a request CheckSearchRequest refuses, and for semantic mode without an
// embeddings analyzer configured; NotFound for an unknown project
// or analyzer; Unavailable when the project's storage is not loaded or
// cannot answer the mode (built for an SDK before it); the storage's own.
// A server passes its `semantic_cache` (semantic_index.h), which keeps the
// vectors of projects it searched in memory; null reads them each time.
Result<SearchResults> Search(const plugin_host::PluginHost& plugins, db::Database* db, const std::string& tenant,
                             const SearchRequest& request, SemanticIndexCache* semantic_cache = nullptr);

// The web page's address of a file of `project` at lines `start`..`end`
// (0: none), relative to the server: "/#/p/NAME/file/PATH?L=START-END",
// the name and each path segment percent-encoded. The page opens it at
// those lines, marked (engine/api/web/app.js reads the same form).
std::string WebFileLink(const std::string& project, const std::string& path, int64_t start, int64_t end);

// The results as the members of the object `out` is in: project, branch,
// commit, mode, hits [{path, language, start_line, end_line, score, snippet,
// symbol, kind, link}], more, and in semantic mode compared and space. The
// CLI's --json and the API's body (pretty), and the MCP search tool's
// result (compact, engine/mcp).
void WriteSearchResults(JsonWriter& out, const SearchResults& results);
void WriteSearchResults(CompactJsonWriter& out, const SearchResults& results);

}  // namespace tether::search

#endif  // TETHER_ENGINE_SEARCH_SEARCH_H_

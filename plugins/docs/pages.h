// The documentation's pages as Markdown: a file's page (its facts, imports
// and symbols with signatures, doc comments and lines), a directory's index
// (its subdirectories and files), and the root's index (with the
// repository map and the README). Pure functions of what the `code`
// analyzer stored, never of the files themselves; where pages live is
// shared/docs_paths.h.
//
// Every text from the repository is escaped (a name cannot open a link or
// raw HTML; a signature goes in a fence no line of it can close).
//
// Thread safety: pure functions.
#ifndef TETHER_PLUGINS_DOCS_PAGES_H_
#define TETHER_PLUGINS_DOCS_PAGES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tether/analyzer.h"
#include "tether/repository_step.h"

namespace tether::docs {

// What the pages show of one file.
struct FileFacts {
  std::string path;
  std::string language;
  bool analysed = false;
  std::string outcome;  // when not analysed: skipped, failed, poison
  std::string reason;
  int64_t code = -1, comment = -1, blank = -1;  // -1: not counted
  std::vector<std::string> imports;             // as written
  std::vector<Symbol> symbols;                  // for the file's page only
  int64_t symbol_count = 0;
  std::string summary;  // the first line of the first symbol's doc comment

  int64_t Lines() const { return code < 0 ? -1 : code + comment + blank; }
};

// The facts of `file` from the code analyzer's `result` for it.
FileFacts FactsOf(const RepositoryFile& file, const AnalysisResult& result);

// The file's page; `resolved[i]` the project files its i-th import names.
std::string FilePage(const FileFacts& file, const std::vector<std::vector<std::string>>& resolved);

struct ChildDirectory {
  std::string name;
  int64_t files = 0;  // all files under it
};

// A directory's index ("" for the root, with `project_name`, `map` and
// `readme`; those are ignored elsewhere). `files` are its direct files.
std::string IndexPage(const std::string& dir, int64_t file_count, const std::vector<ChildDirectory>& dirs,
                      const std::vector<FileFacts>& files, const std::string& project_name, const std::string& map,
                      const std::string& readme);

// One file of the repository map.
struct MapEntry {
  std::string path;
  int64_t importers = 0;
  std::vector<Symbol> symbols;  // its symbols; the map shows its main ones
};

// The root's "Repository map" section ("" when no file is imported).
std::string RepositoryMap(const std::vector<MapEntry>& entries);

}  // namespace tether::docs

#endif  // TETHER_PLUGINS_DOCS_PAGES_H_

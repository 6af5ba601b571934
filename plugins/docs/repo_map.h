// The repository view, from stored per-file facts: which file an import
// names, where the language allows one to tell from the paths alone, and
// the files the rest of the project imports most (an aider-style map of a
// repository's centre). Pure functions of their inputs, safe from any
// thread; nothing here reads a file.
//
// What resolves, by language (imports as the code analyzer writes them):
//   c, cpp      "dir/x.h", <x.h>: beside the including file, else the file
//               whose path ends with it (the nearest to the includer)
//   python      "a.b" -> a/b.py or a/b/__init__.py (also under a source
//               folder); "..b" relative to the importing package
//   javascript, typescript  "./x", "../x" -> x.ts, .tsx, .js, .jsx, .mjs,
//               .cjs, or x/index.*
//   go          an import path whose tail is a folder of .go files -> each
//   rust        crate::a::b -> a/b.rs, a.rs, a/mod.rs under the crate's src/
//   java        a.b.C -> a/b/C.java; a.b.* -> every .java file of a/b
//   shell       ./x.sh, x.sh beside the script
// Anything else (a library, a system header, a computed path) names no
// file of the project.
#ifndef TETHER_PLUGINS_DOCS_REPO_MAP_H_
#define TETHER_PLUGINS_DOCS_REPO_MAP_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tether::docs {

struct FileImports {
  std::string path;
  std::string language;
  std::vector<std::string> imports;  // as written
};

// The project's file paths, for lookups by exact path, by suffix and by
// folder.
class PathIndex {
 public:
  explicit PathIndex(std::vector<std::string> paths);

  bool Has(const std::string& path) const;
  // Paths equal to `suffix` or ending with "/" + `suffix`.
  std::vector<std::string> WithSuffix(std::string_view suffix) const;
  // Folders (holding files) equal to `suffix` or ending with "/" + `suffix`.
  std::vector<std::string> DirsWithSuffix(std::string_view suffix) const;
  // Files directly in `dir` ("" for the root).
  const std::vector<std::string>& FilesIn(const std::string& dir) const;

 private:
  std::vector<std::string> paths_;                          // sorted
  std::map<std::string, std::vector<std::string>> by_name_; // last component -> paths
  std::map<std::string, std::vector<std::string>> by_dir_;  // folder -> paths
};

// For each of `file.imports`, the project files it names (empty when none),
// in the same order.
std::vector<std::vector<std::string>> ResolveImports(const FileImports& file, const PathIndex& paths);

struct RankedFile {
  std::string path;
  int64_t importers = 0;  // distinct other files importing it
};

// The `limit` files most imported by other files (at least one importer),
// most first, then by path.
std::vector<RankedFile> RankByImporters(const std::vector<FileImports>& files, const PathIndex& paths, size_t limit);

}  // namespace tether::docs

#endif  // TETHER_PLUGINS_DOCS_REPO_MAP_H_

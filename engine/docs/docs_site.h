// The documentation site of a project: Markdown pages written from what the
// `code` analyzer stored for its current files, never from the files
// themselves. A file's page holds its facts and its symbols (signatures,
// doc comments, lines); a directory's index lists its files and
// subdirectories; the root's index opens with the project's README.
//
// Pages are pure functions of stored results, so the site is always that
// of the project's current commit, costs nothing to keep, and changes
// exactly where the analysis changed: a page's text changes only when what
// it shows does (an export rewrites only those, docs_export.h).
//
// Where pages live (injective, whatever the repository's names):
//   the page of file DIR/NAME      DIR'/NAME.md, or DIR'/_NAME.md when NAME
//                                  starts with '_'
//   the index of directory DIR     DIR'/_index.md (the root's: _index.md)
// where DIR' is DIR with "_" appended to every component that ends in
// ".md" or "_", so that no directory is named like a page.
//
// Thread safety: pure functions of their inputs; the storage is called as
// its contract allows.
#ifndef TETHER_ENGINE_DOCS_DOCS_SITE_H_
#define TETHER_ENGINE_DOCS_DOCS_SITE_H_

#include <string>
#include <string_view>
#include <vector>

#include "tether/analyzer.h"
#include "tether/status.h"
#include "tether/storage.h"

namespace tether::docs {

struct Page {
  std::string path;      // in the site, '/'-separated, ending in ".md"
  std::string title;     // for an HTML <title>
  std::string markdown;  // CommonMark
};

// What the site is built from.
struct SiteSource {
  Storage* storage = nullptr;  // borrowed
  ProjectRef project;
  std::string project_name;
  AnalyzerKey key;             // the code analyzer's
};

std::string FilePagePath(std::string_view repository_path);
std::string IndexPagePath(std::string_view repository_dir);  // "" for the root

// Every page: each analysed file's, each directory's index, the root's.
Result<std::vector<Page>> BuildSite(const SiteSource& source);

// One file's page. NotFound when the project has no document at `path`.
Result<Page> BuildFilePage(const SiteSource& source, const std::string& path);

// One directory's index ("" for the root). NotFound when no document of
// the project is under it.
Result<Page> BuildIndexPage(const SiteSource& source, const std::string& dir);

// The page as an HTML document (rendered by cmark: raw HTML and unsafe
// link schemes are dropped, so a hostile README cannot script the page),
// its links to ".md" pages pointing at the ".html" ones.
std::string PageHtml(const Page& page);

// Markdown as an HTML fragment, with the same safety (for the web page).
std::string MarkdownHtml(std::string_view markdown);

}  // namespace tether::docs

#endif  // TETHER_ENGINE_DOCS_DOCS_SITE_H_

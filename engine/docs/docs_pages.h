// The documentation site of a project as the docs analyzer keeps it: its
// repository outputs named kDocsPages + site path (shared/docs_paths.h),
// read through the project's storage. The engine serves, exports and
// renders pages; it never writes one (plugins/docs does, as the code
// changes).
//
// Thread safety: the storage is called as its contract allows; the rest is
// pure.
#ifndef TETHER_ENGINE_DOCS_DOCS_PAGES_H_
#define TETHER_ENGINE_DOCS_DOCS_PAGES_H_

#include <string>
#include <string_view>
#include <vector>

#include "tether/status.h"
#include "tether/storage.h"

namespace tether::docs {

struct Page {
  std::string path;        // in the site, '/'-separated, ending in ".md"
  std::string title;       // for an HTML <title>: the page's first heading
  std::string markdown;    // CommonMark
  std::string updated_at;  // when the analyzer last wrote it
};

// Where a project's pages are.
struct PagesSource {
  Storage* storage = nullptr;  // borrowed; keeps repository outputs (ABI 3.3)
  ProjectRef project;
  std::string analyzer_id = "docs";
};

// The page of the file at `path`, else the index of the directory `path`
// ("" for the root). NotFound when the site has neither (no such file or
// folder, or the documentation is not made yet).
Result<Page> ReadPageFor(const PagesSource& source, const std::string& path);

// Every page, in byte order of their site paths.
Result<std::vector<Page>> ReadSite(const PagesSource& source);

// The page as an HTML document (rendered by cmark: raw HTML and unsafe
// link schemes are dropped, so a hostile README cannot script the page),
// its links to ".md" pages pointing at the ".html" ones.
std::string PageHtml(const Page& page);

// Markdown as an HTML fragment, with the same safety (for the web page).
std::string MarkdownHtml(std::string_view markdown);

}  // namespace tether::docs

#endif  // TETHER_ENGINE_DOCS_DOCS_PAGES_H_

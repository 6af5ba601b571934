// Where the docs analyzer's pages are, for the engine that serves and
// exports them and the plugin that makes them: one naming, one place.
//
// A page is the docs analyzer's repository output kDocsPages + its site
// path. Site paths are injective, whatever the repository's names:
//   the page of file DIR/NAME      DIR'/NAME.md, or DIR'/_NAME.md when NAME
//                                  starts with '_'
//   the index of directory DIR     DIR'/_index.md (the root's: _index.md)
// where DIR' is DIR with "_" appended to every component that ends in
// ".md" or "_", so that no directory is named like a page.
//
// Thread safety: pure functions.
#ifndef TETHER_SHARED_DOCS_PATHS_H_
#define TETHER_SHARED_DOCS_PATHS_H_

#include <string>
#include <string_view>

namespace tether::docs {

// The prefix of every page's output name.
inline constexpr std::string_view kDocsPages = "pages/";

// Site paths ('/'-separated, ending in ".md").
std::string FilePagePath(std::string_view repository_path);
std::string IndexPagePath(std::string_view repository_dir);  // "" for the root

}  // namespace tether::docs

#endif  // TETHER_SHARED_DOCS_PATHS_H_

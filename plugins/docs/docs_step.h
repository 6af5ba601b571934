// DocsStep: the docs analyzer's repository step. It keeps, as its outputs,
// the documentation's pages (shared/docs_paths.h names them) and what it
// needs to redo only what a change touches:
//   "state:DIR"  per directory, the facts of its direct files (language,
//                lines, symbol count, summary, imports and the files they
//                name), keyed by the directory's tree id
//   "map"        the repository map and the files it shows
//   "readme"     the root README's text, keyed by its blob
// A directory's tree id is a digest of the paths, blobs and languages
// under it: it changes exactly when something under the directory does, as
// git's tree id would for the files Tether keeps.
//
// After a change, the step reads the code results of the changed files
// only, rewrites their pages and the index of every directory whose tree
// id changed (their ancestors), and the pages of other files only when an
// added or deleted path changes what their imports name. The map is redone
// when imports or a file it shows changed.
//
// Thread safety: no state between calls (repository_step.h).
#ifndef TETHER_PLUGINS_DOCS_DOCS_STEP_H_
#define TETHER_PLUGINS_DOCS_DOCS_STEP_H_

#include <string>
#include <vector>

#include "tether/repository_step.h"

namespace tether::docs {

class DocsStep : public RepositoryStep {
 public:
  // `code_id`: the id of the analyzer whose results the pages show.
  explicit DocsStep(std::string code_id) : code_id_(std::move(code_id)) {}

  std::vector<std::string> Needs() const override { return {code_id_}; }
  Status Update(const RepositoryView& view, RepositorySink* sink) override;

 private:
  std::string code_id_;
};

}  // namespace tether::docs

#endif  // TETHER_PLUGINS_DOCS_DOCS_STEP_H_

// Writing a documentation site (docs_pages.h) into a folder, touching only
// what changed: a page whose text is the same as the file's is not
// written (its modification time stays), a page that is gone is removed.
// The folder keeps a manifest of what the export wrote (.tether-docs), and
// an export never removes or overwrites a file it did not write.
//
// Not thread safe for one folder: two exports into it at once may
// interleave.
#ifndef TETHER_ENGINE_DOCS_DOCS_EXPORT_H_
#define TETHER_ENGINE_DOCS_DOCS_EXPORT_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/docs/docs_pages.h"
#include "tether/status.h"

namespace tether::docs {

struct ExportReport {
  std::vector<std::string> written;  // site paths written (new or changed)
  int64_t unchanged = 0;             // pages whose file already said the same
  std::vector<std::string> removed;  // site paths of pages that are gone
};

// Writes `pages` (with `html`, each also as an HTML file beside it) under
// `dir`, creating it. InvalidArgument when `dir` is a file, or a folder that
// holds anything but an earlier export (no manifest), naming it; the error
// of the file system otherwise (what was written before stays, and the
// next export finishes the job).
Result<ExportReport> ExportSite(const std::vector<Page>& pages, const std::filesystem::path& dir, bool html);

}  // namespace tether::docs

#endif  // TETHER_ENGINE_DOCS_DOCS_EXPORT_H_

#include "shared/docs_paths.h"

namespace tether::docs {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string SiteDirectory(std::string_view dir) {
  std::string out;
  size_t start = 0;
  while (start < dir.size()) {
    size_t slash = dir.find('/', start);
    if (slash == std::string_view::npos) slash = dir.size();
    std::string component(dir.substr(start, slash - start));
    if (EndsWith(component, ".md") || EndsWith(component, "_")) component += "_";
    out += component + "/";
    start = slash + 1;
  }
  return out;  // "" or "a/b/"
}

}  // namespace

std::string FilePagePath(std::string_view repository_path) {
  const size_t slash = repository_path.rfind('/');
  const std::string_view dir = slash == std::string_view::npos ? std::string_view() : repository_path.substr(0, slash);
  const std::string_view name = slash == std::string_view::npos ? repository_path : repository_path.substr(slash + 1);
  return SiteDirectory(dir) + (name.rfind('_', 0) == 0 ? "_" : "") + std::string(name) + ".md";
}

std::string IndexPagePath(std::string_view repository_dir) { return SiteDirectory(repository_dir) + "_index.md"; }

}  // namespace tether::docs

#include "engine/docs/docs_export.h"

#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>

namespace tether::docs {
namespace {

namespace fs = std::filesystem;

constexpr char kManifest[] = ".tether-docs";

Status FileError(const std::string& what, const fs::path& path, const std::error_code& ec) {
  return Status::Unavailable("cannot " + what + " " + path.string() + ": " + ec.message());
}

// OK for a relative site path of plain components (the docs analyzer makes
// only those; checked again because it decides where files go, and a
// plugin made it).
Status CheckSitePath(const std::string& path) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    const std::string component = path.substr(start, slash - start);
    if (component.empty() || component == "." || component == ".." || component == kManifest) {
      return Status::Internal("a documentation page would be written at \"" + path + "\", outside a plain path");
    }
    start = slash + 1;
  }
  return Status::Ok();
}

std::set<std::string> ReadManifest(const fs::path& file) {
  std::set<std::string> paths;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && CheckSitePath(line).ok()) paths.insert(line);
  }
  return paths;
}

std::optional<std::string> ReadFile(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Writes `text` to `file` through a temporary file and a rename, so that a
// reader never sees half a page.
Status WriteFile(const fs::path& file, const std::string& text) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (ec) return FileError("create the folder", file.parent_path(), ec);
  const fs::path temporary = file.string() + ".tether-tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) return Status::Unavailable("cannot write " + temporary.string());
  }
  fs::rename(temporary, file, ec);
  if (ec) return FileError("rename into place", file, ec);
  return Status::Ok();
}

}  // namespace

Result<ExportReport> ExportSite(const std::vector<Page>& pages, const fs::path& dir, bool html) {
  std::error_code ec;
  const fs::path manifest = dir / kManifest;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) {
      return Status::InvalidArgument(dir.string() + " is a file; give a folder for the documentation");
    }
    if (!fs::exists(manifest, ec) && !fs::is_empty(dir, ec)) {
      return Status::InvalidArgument(dir.string() +
                                     " holds files an export did not write (it has no " + kManifest +
                                     "); give a new or empty folder");
    }
  }
  // Every file of this export, by site path.
  std::vector<std::pair<std::string, std::string>> files;
  for (const Page& page : pages) {
    TETHER_RETURN_IF_ERROR(CheckSitePath(page.path));
    if (page.path.size() < 4 || page.path.compare(page.path.size() - 3, 3, ".md") != 0) {
      return Status::Internal("a documentation page would be written at \"" + page.path + "\", not a .md file");
    }
    files.emplace_back(page.path, page.markdown);
    if (html) files.emplace_back(page.path.substr(0, page.path.size() - 3) + ".html", PageHtml(page));
  }
  const std::set<std::string> before = ReadManifest(manifest);
  std::set<std::string> now;
  for (const auto& file : files) now.insert(file.first);
  auto write_manifest = [&](const std::set<std::string>& paths) {
    std::string listing;
    for (const std::string& path : paths) listing += path + "\n";
    return WriteFile(manifest, listing);
  };
  // Every file this export may write is named in the manifest before it is
  // written: should the export stop half way, the next one knows them.
  std::set<std::string> both = before;
  both.insert(now.begin(), now.end());
  ExportReport report;
  for (const auto& [path, text] : files) {
    const fs::path file = dir / path;
    std::optional<std::string> existing = ReadFile(file);
    if (existing && *existing == text) {
      ++report.unchanged;
      continue;
    }
    // Never over a file an earlier export did not write.
    if (existing && before.count(path) == 0) {
      return Status::InvalidArgument(file.string() + " exists and was not written by an export; nothing was written");
    }
  }
  TETHER_RETURN_IF_ERROR(write_manifest(both));
  for (const auto& [path, text] : files) {
    const fs::path file = dir / path;
    std::optional<std::string> existing = ReadFile(file);
    if (existing && *existing == text) continue;  // counted above
    TETHER_RETURN_IF_ERROR(WriteFile(file, text));
    report.written.push_back(path);
  }
  for (const std::string& path : before) {
    if (now.count(path) != 0) continue;
    if (!fs::exists(dir / path, ec)) continue;
    fs::path file = dir / path;
    if (!fs::remove(file, ec) && ec) return FileError("remove", file, ec);
    report.removed.push_back(path);
    // Folders the removal left empty go too, up to the export's own.
    for (fs::path folder = file.parent_path(); folder != dir && fs::is_empty(folder, ec); folder = folder.parent_path()) {
      fs::remove(folder, ec);
    }
  }
  TETHER_RETURN_IF_ERROR(write_manifest(now));
  return report;
}

}  // namespace tether::docs

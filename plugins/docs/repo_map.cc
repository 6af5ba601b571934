#include "repo_map.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

namespace tether::docs {
namespace {

std::string DirOf(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? "" : std::string(path.substr(0, slash));
}

std::string NameOf(std::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }
bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// `dir` joined with the relative `rest` ("./", "../" resolved); nullopt
// when it climbs out of the repository.
std::optional<std::string> Join(const std::string& dir, std::string_view rest) {
  std::vector<std::string> parts;
  auto push = [&](std::string_view text) -> bool {
    size_t start = 0;
    while (start <= text.size()) {
      size_t slash = text.find('/', start);
      if (slash == std::string_view::npos) slash = text.size();
      std::string_view part = text.substr(start, slash - start);
      start = slash + 1;
      if (part.empty() || part == ".") continue;
      if (part == "..") {
        if (parts.empty()) return false;
        parts.pop_back();
        continue;
      }
      parts.emplace_back(part);
    }
    return true;
  };
  if (!push(dir) || !push(rest)) return std::nullopt;
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

// Of several candidates, the one sharing the longest folder prefix with
// `from` (then the first by path): an include means the nearest header.
std::string Nearest(const std::vector<std::string>& candidates, const std::string& from) {
  std::string best;
  size_t best_shared = 0;
  for (const std::string& c : candidates) {
    size_t shared = 0;
    while (shared < c.size() && shared < from.size() && c[shared] == from[shared]) ++shared;
    if (best.empty() || shared > best_shared) {
      best = c;
      best_shared = shared;
    }
  }
  return best;
}

std::string Replace(std::string text, char from, char to) {
  std::replace(text.begin(), text.end(), from, to);
  return text;
}

std::vector<std::string> FirstExisting(const PathIndex& paths, const std::vector<std::string>& candidates) {
  for (const std::string& c : candidates) {
    if (paths.Has(c)) return {c};
  }
  return {};
}

std::vector<std::string> ResolveC(const std::string& from, std::string spec, const PathIndex& paths) {
  if (StartsWith(spec, "<") && EndsWith(spec, ">")) spec = spec.substr(1, spec.size() - 2);
  if (spec.empty()) return {};
  if (std::optional<std::string> beside = Join(DirOf(from), spec); beside && paths.Has(*beside)) return {*beside};
  std::vector<std::string> candidates = paths.WithSuffix(spec);
  if (candidates.empty()) return {};
  return {Nearest(candidates, from)};
}

std::vector<std::string> ResolvePython(const std::string& from, const std::string& spec, const PathIndex& paths) {
  size_t dots = 0;
  while (dots < spec.size() && spec[dots] == '.') ++dots;
  const std::string module = Replace(spec.substr(dots), '.', '/');
  if (dots > 0) {
    // Relative: one dot is the importing file's package, each more one up.
    std::string base = DirOf(from);
    for (size_t i = 1; i < dots; ++i) {
      std::optional<std::string> up = Join(base, "..");
      if (!up) return {};
      base = *up;
    }
    std::optional<std::string> target = Join(base, module);
    if (!target) return {};
    if (module.empty()) return FirstExisting(paths, {(base.empty() ? "" : base + "/") + "__init__.py"});
    return FirstExisting(paths, {*target + ".py", *target + "/__init__.py"});
  }
  if (module.empty()) return {};
  for (const std::string& candidate : {module + ".py", module + "/__init__.py"}) {
    std::vector<std::string> found = paths.WithSuffix(candidate);
    if (!found.empty()) return {Nearest(found, from)};
  }
  return {};
}

std::vector<std::string> ResolveScript(const std::string& from, const std::string& spec, const PathIndex& paths) {
  if (!StartsWith(spec, "./") && !StartsWith(spec, "../")) return {};
  std::optional<std::string> target = Join(DirOf(from), spec);
  if (!target) return {};
  std::vector<std::string> candidates = {*target};
  for (const char* ext : {".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts"}) {
    candidates.push_back(*target + ext);
  }
  for (const char* index : {"/index.ts", "/index.tsx", "/index.js", "/index.jsx", "/index.mjs"}) {
    candidates.push_back(*target + index);
  }
  return FirstExisting(paths, candidates);
}

std::vector<std::string> ResolveGo(const std::string& spec, const PathIndex& paths) {
  // The longest tail of the import path that is a folder of Go files.
  std::string tail = spec;
  while (!tail.empty()) {
    std::vector<std::string> files;
    for (const std::string& path : paths.FilesIn(tail)) {
      if (EndsWith(path, ".go") && !EndsWith(path, "_test.go")) files.push_back(path);
    }
    if (!files.empty()) return files;
    size_t slash = tail.find('/');
    if (slash == std::string::npos) break;
    tail = tail.substr(slash + 1);
  }
  return {};
}

std::vector<std::string> ResolveRust(const std::string& from, const std::string& spec, const PathIndex& paths) {
  if (!StartsWith(spec, "crate::")) return {};
  std::string path = spec.substr(7);
  size_t brace = path.find('{');
  if (brace != std::string::npos) path = path.substr(0, brace);
  std::vector<std::string> segments;
  size_t start = 0;
  while (start < path.size()) {
    size_t sep = path.find("::", start);
    if (sep == std::string::npos) sep = path.size();
    if (sep > start) segments.push_back(path.substr(start, sep - start));
    start = sep + 2;
  }
  // The crate's root: the nearest src/ folder above the importing file.
  std::string root = DirOf(from);
  while (!root.empty() && NameOf(root) != "src") root = DirOf(root);
  if (root.empty() && !StartsWith(from, "src/")) return {};
  if (root.empty()) root = "src";
  // The longest prefix of the path that is a module file (the rest names
  // items in it).
  for (size_t n = segments.size(); n > 0; --n) {
    std::string module = root;
    for (size_t i = 0; i < n; ++i) module += "/" + segments[i];
    std::vector<std::string> found = FirstExisting(paths, {module + ".rs", module + "/mod.rs"});
    if (!found.empty()) return found;
  }
  return {};
}

std::vector<std::string> ResolveJava(const std::string& from, std::string spec, const PathIndex& paths) {
  if (StartsWith(spec, "static ")) spec = spec.substr(7);
  if (EndsWith(spec, ".*")) {
    // A package: the classes of the folder whose path ends with it.
    const std::string dir = Replace(spec.substr(0, spec.size() - 2), '.', '/');
    std::vector<std::string> folders = paths.DirsWithSuffix(dir);
    if (folders.empty()) return {};
    std::vector<std::string> files;
    for (const std::string& path : paths.FilesIn(Nearest(folders, from))) {
      if (EndsWith(path, ".java")) files.push_back(path);
    }
    return files;
  }
  // a.b.C or a.b.C.member (static): the longest prefix that is a file.
  std::string path = Replace(spec, '.', '/');
  while (!path.empty()) {
    std::vector<std::string> found = paths.WithSuffix(path + ".java");
    if (!found.empty()) return {Nearest(found, from)};
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) break;
    path = path.substr(0, slash);
  }
  return {};
}

std::vector<std::string> ResolveShell(const std::string& from, const std::string& spec, const PathIndex& paths) {
  if (spec.find('$') != std::string::npos || spec.empty() || spec[0] == '/') return {};
  std::optional<std::string> target = Join(DirOf(from), spec);
  if (!target || !paths.Has(*target)) return {};
  return {*target};
}

}  // namespace

PathIndex::PathIndex(std::vector<std::string> paths) : paths_(std::move(paths)) {
  std::sort(paths_.begin(), paths_.end());
  for (const std::string& p : paths_) {
    by_name_[NameOf(p)].push_back(p);
    by_dir_[DirOf(p)].push_back(p);
  }
}

bool PathIndex::Has(const std::string& path) const { return std::binary_search(paths_.begin(), paths_.end(), path); }

std::vector<std::string> PathIndex::WithSuffix(std::string_view suffix) const {
  std::vector<std::string> out;
  if (suffix.empty()) return out;
  auto it = by_name_.find(NameOf(suffix));
  if (it == by_name_.end()) return out;
  for (const std::string& p : it->second) {
    if (p == suffix || (EndsWith(p, suffix) && p[p.size() - suffix.size() - 1] == '/')) out.push_back(p);
  }
  return out;
}

std::vector<std::string> PathIndex::DirsWithSuffix(std::string_view suffix) const {
  std::vector<std::string> out;
  for (const auto& [dir, files] : by_dir_) {
    if (dir == suffix || (EndsWith(dir, suffix) && dir.size() > suffix.size() && dir[dir.size() - suffix.size() - 1] == '/')) {
      out.push_back(dir);
    }
  }
  return out;
}

const std::vector<std::string>& PathIndex::FilesIn(const std::string& dir) const {
  static const std::vector<std::string> kNone;
  auto it = by_dir_.find(dir);
  return it == by_dir_.end() ? kNone : it->second;
}

std::vector<std::vector<std::string>> ResolveImports(const FileImports& file, const PathIndex& paths) {
  std::vector<std::vector<std::string>> out;
  for (const std::string& spec : file.imports) {
    const std::string& lang = file.language;
    if (lang == "c" || lang == "cpp") out.push_back(ResolveC(file.path, spec, paths));
    else if (lang == "python") out.push_back(ResolvePython(file.path, spec, paths));
    else if (lang == "javascript" || lang == "typescript") out.push_back(ResolveScript(file.path, spec, paths));
    else if (lang == "go") out.push_back(ResolveGo(spec, paths));
    else if (lang == "rust") out.push_back(ResolveRust(file.path, spec, paths));
    else if (lang == "java") out.push_back(ResolveJava(file.path, spec, paths));
    else if (lang == "shell") out.push_back(ResolveShell(file.path, spec, paths));
    else out.emplace_back();
  }
  return out;
}

std::vector<RankedFile> RankByImporters(const std::vector<FileImports>& files, const PathIndex& paths, size_t limit) {
  std::map<std::string, std::set<std::string>> importers;
  for (const FileImports& file : files) {
    for (const std::vector<std::string>& targets : ResolveImports(file, paths)) {
      for (const std::string& target : targets) {
        if (target != file.path) importers[target].insert(file.path);
      }
    }
  }
  std::vector<RankedFile> ranked;
  for (const auto& [path, from] : importers) ranked.push_back({path, static_cast<int64_t>(from.size())});
  std::sort(ranked.begin(), ranked.end(), [](const RankedFile& a, const RankedFile& b) {
    return a.importers != b.importers ? a.importers > b.importers : a.path < b.path;
  });
  if (ranked.size() > limit) ranked.resize(limit);
  return ranked;
}

}  // namespace tether::docs

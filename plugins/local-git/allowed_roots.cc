#include "allowed_roots.h"

#include <filesystem>
#include <optional>
#include <system_error>

namespace tether {
namespace local_git {
namespace {

namespace fs = std::filesystem;

// `path` absolute with symlinks and ".." resolved (weakly: a part that does
// not exist is normalised lexically); nullopt when that fails (a symlink
// loop, an unreadable directory).
std::optional<fs::path> Resolved(const std::string& path) {
  std::error_code error;
  fs::path absolute = fs::absolute(path, error);
  if (error) return std::nullopt;
  fs::path resolved = fs::weakly_canonical(absolute, error);
  if (error) return std::nullopt;
  resolved = resolved.lexically_normal();
  // "/srv/git/" -> "/srv/git": no empty last component to compare.
  if (!resolved.has_filename() && resolved.has_relative_path()) resolved = resolved.parent_path();
  return resolved;
}

// Component by component, so that /srv/gitevil is not inside /srv/git.
bool IsWithin(const fs::path& path, const fs::path& root) {
  auto p = path.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++p) {
    if (p == path.end() || *p != *r) return false;
  }
  return true;
}

}  // namespace

bool AllowedRoots::Contains(const std::string& path) const {
  const std::optional<fs::path> resolved = Resolved(path);
  if (!resolved) return false;
  for (const std::string& root : roots_) {
    const std::optional<fs::path> resolved_root = Resolved(root);
    if (resolved_root && IsWithin(*resolved, *resolved_root)) return true;
  }
  return false;
}

Status AllowedRoots::Resolve(const std::string& url, const std::string& path, std::string* resolved) const {
  const std::optional<fs::path> real = Resolved(path);
  if (real && Contains(real->string())) {
    *resolved = real->string();
    return Status::Ok();
  }
  return Status::PermissionDenied("repository '" + url +
                                  "' is outside the directories local-git may open (allowed_roots: " +
                                  Describe() + "; symlinks and \"..\" resolved)");
}

std::string AllowedRoots::Describe() const {
  std::string text;
  for (const std::string& root : roots_) text += (text.empty() ? "" : ", ") + root;
  return text;
}

}  // namespace local_git
}  // namespace tether

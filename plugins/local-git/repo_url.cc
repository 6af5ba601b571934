#include "repo_url.h"

#include <cctype>
#include <filesystem>
#include <optional>
#include <system_error>

#include "shared/percent_encoding.h"

namespace tether {
namespace local_git {
namespace {

constexpr char kFileScheme[] = "file://";
constexpr size_t kFileSchemeLength = sizeof(kFileScheme) - 1;

bool StartsWithIgnoringCase(const std::string& text, const char* prefix, size_t length) {
  if (text.size() < length) return false;
  for (size_t i = 0; i < length; ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

// True when `url` starts with "<scheme>://" (RFC 3986 scheme characters).
bool HasScheme(const std::string& url) {
  size_t i = 0;
  if (url.empty() || !std::isalpha(static_cast<unsigned char>(url[0]))) return false;
  while (i < url.size() && (std::isalnum(static_cast<unsigned char>(url[i])) || url[i] == '+' ||
                            url[i] == '-' || url[i] == '.')) {
    ++i;
  }
  return url.compare(i, 3, "://") == 0;
}

// True when `url` reads like git's scp syntax: a ':' before the first '/'.
bool LooksLikeScpRemote(const std::string& url) {
  size_t colon = url.find(':');
  if (colon == std::string::npos || colon == 0) return false;
  size_t slash = url.find('/');
  return slash == std::string::npos || colon < slash;
}

Status PathFromFileUrl(const std::string& url, std::string* path) {
  std::string rest = url.substr(kFileSchemeLength);
  size_t slash = rest.find('/');
  std::string host = rest.substr(0, slash);
  if (host != "" && host != "localhost") {
    return Status::InvalidArgument("repository URL '" + url + "' names host '" + host +
                                   "'; local-git opens only local file:// URLs");
  }
  if (slash == std::string::npos) {
    return Status::InvalidArgument("repository URL '" + url + "' has no path");
  }
  std::optional<std::string> decoded = PercentDecode(rest.substr(slash));
  if (!decoded) {
    return Status::InvalidArgument("repository URL '" + url +
                                   "' has a malformed %-escape or one of a NUL byte (a '%' is written %25)");
  }
  *path = std::move(*decoded);
  return Status::Ok();
}

}  // namespace

Status LocalPathFromUrl(const std::string& url, std::string* path) {
  if (url.empty()) return Status::InvalidArgument("repository URL is empty");
  if (url.find('\0') != std::string::npos) {
    return Status::InvalidArgument("repository URL contains a NUL byte");
  }
  if (StartsWithIgnoringCase(url, kFileScheme, kFileSchemeLength)) {
    return PathFromFileUrl(url, path);
  }
  if (HasScheme(url)) {
    return Status::InvalidArgument(
        "repository URL '" + url +
        "' is not a local path or file:// URL; local-git cannot open it");
  }
  std::error_code ignored;
  if (LooksLikeScpRemote(url) && !std::filesystem::exists(url, ignored)) {
    return Status::InvalidArgument("repository URL '" + url +
                                   "' looks like a remote (scp-style) URL; local-git opens only "
                                   "local paths and file:// URLs");
  }
  *path = url;
  return Status::Ok();
}

Result<std::string> CanonicalLocalUrl(const std::string& url, const std::string& working_directory) {
  std::string path;
  // A URL local-git cannot use is kept: Open refuses it, naming why.
  if (!LocalPathFromUrl(url, &path).ok()) return url;
  if (!path.empty() && path.front() == '/') return url;  // absolute already (every file:// URL is)
  if (working_directory.empty()) {
    return Status::InvalidArgument("repository path '" + url +
                                   "' is relative; give an absolute path or a file:// URL (there is no "
                                   "working directory to resolve it against)");
  }
  std::filesystem::path absolute = (std::filesystem::path(working_directory) / path).lexically_normal();
  if (!absolute.has_filename() && absolute.has_relative_path()) absolute = absolute.parent_path();
  return absolute.string();
}

}  // namespace local_git
}  // namespace tether

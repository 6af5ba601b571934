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

std::string LowerAscii(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// "host[:port]" of an authority "[user@]host[:port]", lower case, without
// the scheme's default port; nullopt when empty.
std::optional<std::string> HostOf(std::string authority, const std::string& default_port) {
  const size_t at = authority.rfind('@');
  if (at != std::string::npos) authority.erase(0, at + 1);
  authority = LowerAscii(std::move(authority));
  const size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
    const std::string port = authority.substr(colon + 1);
    if (port.empty() || port == default_port) authority.resize(colon);
  }
  if (authority.empty() || authority.front() == ':') return std::nullopt;
  return authority;
}

// The path without its leading and trailing '/' and a final ".git";
// nullopt when empty or when a segment is "." or "..".
std::optional<std::string> RepositoryPath(std::string path) {
  while (!path.empty() && path.front() == '/') path.erase(0, 1);
  while (!path.empty() && path.back() == '/') path.pop_back();
  const std::string git = ".git";
  if (path.size() > git.size() && path.compare(path.size() - git.size(), git.size(), git) == 0) {
    path.resize(path.size() - git.size());
  }
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (path.empty()) return std::nullopt;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string segment = path.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") return std::nullopt;
    start = end + 1;
  }
  return path;
}

}  // namespace

std::optional<std::string> RemoteRepositoryKey(const std::string& url) {
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f) return std::nullopt;
  }
  if (url.find_first_of("?#") != std::string::npos) return std::nullopt;
  std::optional<std::string> host;
  std::string rest;
  if (HasScheme(url)) {
    const size_t separator = url.find("://");
    const std::string scheme = LowerAscii(url.substr(0, separator));
    std::string default_port;
    if (scheme == "https") default_port = "443";
    else if (scheme == "http") default_port = "80";
    else if (scheme == "ssh" || scheme == "git+ssh" || scheme == "ssh+git") default_port = "22";
    else if (scheme == "git") default_port = "9418";
    else return std::nullopt;
    const std::string after = url.substr(separator + 3);
    const size_t slash = after.find('/');
    if (slash == std::string::npos) return std::nullopt;
    host = HostOf(after.substr(0, slash), default_port);
    rest = after.substr(slash);
  } else if (LooksLikeScpRemote(url)) {
    const size_t colon = url.find(':');
    host = HostOf(url.substr(0, colon), "");
    rest = url.substr(colon + 1);
  } else {
    return std::nullopt;
  }
  std::optional<std::string> repository = RepositoryPath(rest);
  if (!host || !repository) return std::nullopt;
  return *host + "/" + *repository;
}

bool RemoteUrlMatches(const std::string& repo_url, const RepositoryMention& mention) {
  // What Open would read as a local path (an existing "a:b" path too) is one.
  std::string path;
  if (LocalPathFromUrl(repo_url, &path).ok()) return false;
  const std::optional<std::string> key = RemoteRepositoryKey(repo_url);
  if (!key) return false;
  for (const std::string* url :
       {&mention.clone_url, &mention.html_url, &mention.ssh_url, &mention.git_url, &mention.svn_url}) {
    if (!url->empty() && RemoteRepositoryKey(*url) == key) return true;
  }
  return false;
}

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

std::string DescribeRepository(const std::string& url, const std::string& path) {
  return path == url ? "'" + url + "'" : "'" + url + "' (" + path + ")";
}

Status CheckRepositoryDirectory(const std::string& url, const std::string& path) {
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  if (error && error != std::errc::no_such_file_or_directory && error != std::errc::not_a_directory) {
    if (error == std::errc::permission_denied) {
      return Status::PermissionDenied("cannot access repository " + DescribeRepository(url, path) + ": " +
                                      error.message());
    }
    return Status::Internal("cannot access repository " + DescribeRepository(url, path) + ": " + error.message());
  }
  if (!std::filesystem::exists(status)) {
    return Status::NotFound("repository " + DescribeRepository(url, path) + " not found: no such directory");
  }
  if (!std::filesystem::is_directory(status)) {
    return Status::InvalidArgument("repository " + DescribeRepository(url, path) + " is not a directory");
  }
  return Status::Ok();
}

}  // namespace local_git
}  // namespace tether

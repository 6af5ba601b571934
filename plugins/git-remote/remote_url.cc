#include "remote_url.h"

#include <algorithm>
#include <cctype>

namespace tether {
namespace git_remote {
namespace {

constexpr size_t kMaxUrlLength = 2048;

bool HostCharactersOk(const std::string& host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    return std::all_of(host.begin() + 1, host.end() - 1, [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
    });
  }
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
}

std::string DefaultPort(const std::string& scheme) {
  if (scheme == "https") return "443";
  if (scheme == "http") return "80";
  if (scheme == "ssh") return "22";
  if (scheme == "git") return "9418";
  return "";
}

// `url` with the password of a user:password@ part replaced, for messages.
std::string Shown(const std::string& url) {
  std::string shown = url.size() > 200 ? url.substr(0, 200) + "..." : url;
  const size_t scheme_end = shown.find("://");
  const size_t start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const size_t end = shown.find('/', start);
  const size_t at = shown.rfind('@', end == std::string::npos ? std::string::npos : end);
  if (at == std::string::npos || at < start) return shown;
  const size_t colon = shown.find(':', start);
  if (colon == std::string::npos || colon > at) return shown;
  return shown.substr(0, colon + 1) + "***" + shown.substr(at);
}

}  // namespace

std::string AsciiLower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

Result<RemoteUrl> ParseRemoteUrl(const std::string& given, const std::vector<std::string>& allowed_schemes) {
  std::string url = given;
  while (!url.empty() && (url.back() == ' ' || url.back() == '\t')) url.pop_back();
  url.erase(0, std::min(url.find_first_not_of(" \t"), url.size()));
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("git-remote cannot use the repository URL '" + Shown(url) + "': " + why);
  };
  if (url.empty()) return Status::InvalidArgument("git-remote needs a repository URL");
  if (url.size() > kMaxUrlLength) return bad("longer than " + std::to_string(kMaxUrlLength) + " characters");
  for (char c : url) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return bad("it holds whitespace, a control character or a non-ASCII byte (percent-encode them)");
    }
  }
  if (url[0] == '-') return bad("it starts with '-'");

  RemoteUrl out;
  out.text = url;
  std::string authority;
  const size_t scheme_end = url.find("://");
  if (scheme_end != std::string::npos) {
    out.scheme = AsciiLower(url.substr(0, scheme_end));
    if (out.scheme == "git+ssh" || out.scheme == "ssh+git") out.scheme = "ssh";
    const size_t path_start = url.find('/', scheme_end + 3);
    authority = url.substr(scheme_end + 3, path_start == std::string::npos ? std::string::npos
                                                                            : path_start - scheme_end - 3);
    out.path = path_start == std::string::npos ? "" : url.substr(path_start);
    if (out.scheme != "https" && out.scheme != "http" && out.scheme != "ssh" && out.scheme != "git") {
      return bad("the scheme '" + out.scheme +
                 "' is not one git-remote follows (https, http, ssh or git; a local repository is "
                 "local-git's)");
    }
  } else {
    // scp-like: [user@]host:path, with no '/' before the ':'.
    const size_t colon = url.find(':');
    const size_t slash = url.find('/');
    if (colon == std::string::npos || (slash != std::string::npos && slash < colon)) {
      return bad("it is neither a URL with a scheme (https://, ssh://, git://) nor host:path "
                 "(a local repository is local-git's)");
    }
    if (url.compare(colon, 2, "::") == 0) return bad("git's transport helpers (\"::\") are not followed");
    out.scheme = "ssh";
    out.scp_like = true;
    authority = url.substr(0, colon);
    out.path = url.substr(colon + 1);
    if (out.path.empty()) return bad("it names no repository path after the ':'");
    if (out.path[0] == '-') return bad("its path starts with '-'");
    if (out.path[0] != '/') out.path = "/" + out.path;
  }
  if (std::find(allowed_schemes.begin(), allowed_schemes.end(), out.scheme) == allowed_schemes.end()) {
    std::string allowed;
    for (const std::string& scheme : allowed_schemes) allowed += (allowed.empty() ? "" : ", ") + scheme;
    return bad("the settings allow only " + allowed + " (\"protocols\"), not " + out.scheme);
  }
  const size_t at = authority.rfind('@');
  if (at != std::string::npos) {
    out.user = authority.substr(0, at);
    authority = authority.substr(at + 1);
    if (out.user.find(':') != std::string::npos) {
      return bad("it holds a password; give credentials in the plugin's settings (password_env or "
                 "password_file), never in a URL that is stored and shown");
    }
    if (out.user.empty()) return bad("it has an empty user name before '@'");
  }
  if (!out.scp_like) {
    // host[:port], an IPv6 address in brackets.
    const size_t bracket = authority.rfind(']');
    const size_t colon = authority.rfind(':');
    if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
      out.port = authority.substr(colon + 1);
      authority = authority.substr(0, colon);
      if (out.port.empty() || out.port.size() > 5 ||
          !std::all_of(out.port.begin(), out.port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
          std::stoi(out.port) == 0 || std::stoi(out.port) > 65535) {
        return bad("its port is not a number from 1 to 65535");
      }
    }
  }
  out.host = authority;
  if (out.host.empty()) return bad("it names no host");
  if (out.host[0] == '-') return bad("its host starts with '-'");
  if (!HostCharactersOk(out.host)) return bad("its host '" + out.host + "' is not a host name or address");
  if (out.path.empty() || out.path == "/") return bad("it names no repository path");
  return out;
}

std::string RepositoryKey(const RemoteUrl& url, bool fold_case) {
  std::string path = url.path;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (path.size() > 4 && path.compare(path.size() - 4, 4, ".git") == 0) path.resize(path.size() - 4);
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (fold_case) path = AsciiLower(path);
  // The scheme's own default port is no port; another scheme's is kept.
  const std::string port = url.port == DefaultPort(url.scheme) ? "" : url.port;
  return AsciiLower(url.host) + (port.empty() ? "" : ":" + port) + path;
}

}  // namespace git_remote
}  // namespace tether

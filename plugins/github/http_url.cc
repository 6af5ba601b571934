#include "http_url.h"

#include <cctype>
#include <utility>

namespace tether {
namespace github {
namespace {

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool IsHostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

}  // namespace

std::string HttpUrl::Origin() const {
  return scheme + "://" + host + (port.empty() ? "" : ":" + port);
}

Status ParseHttpUrl(const std::string& text, const std::string& what, HttpUrl* out) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(what + " '" + text + "' is not a usable URL: " + why);
  };
  const size_t scheme_end = text.find("://");
  if (scheme_end == std::string::npos) return bad("it needs http:// or https://");
  HttpUrl url;
  url.scheme = Lower(text.substr(0, scheme_end));
  if (url.scheme != "http" && url.scheme != "https") return bad("only http and https are supported");
  const size_t authority_start = scheme_end + 3;
  size_t authority_end = text.find_first_of("/?#", authority_start);
  if (authority_end == std::string::npos) authority_end = text.size();
  const std::string authority = text.substr(authority_start, authority_end - authority_start);
  if (authority.find('@') != std::string::npos) {
    return bad("credentials do not belong in the URL (use token_env, token_file or app)");
  }
  const size_t colon = authority.rfind(':');
  url.host = Lower(authority.substr(0, colon));
  if (colon != std::string::npos) {
    url.port = authority.substr(colon + 1);
    if (url.port.empty() || url.port.size() > 5) return bad("the port is not a number");
    for (char c : url.port) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return bad("the port is not a number");
    }
  }
  if (url.host.empty()) return bad("it has no host");
  for (char c : url.host) {
    if (!IsHostChar(c)) return bad("the host has a character hosts do not have");
  }
  url.path = text.substr(authority_end);
  if (url.path.find('#') != std::string::npos) return bad("it has a fragment");
  for (char c : url.path) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return bad("it has spaces or control characters");
  }
  *out = std::move(url);
  return Status::Ok();
}

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace github
}  // namespace tether

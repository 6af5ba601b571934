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

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
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

std::string PercentEncode(const std::string& text, const std::string& keep) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const unsigned char byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~' ||
        keep.find(c) != std::string::npos) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
  return out;
}

Status PercentDecode(const std::string& text, std::string* out) {
  std::string decoded;
  decoded.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      decoded.push_back(text[i]);
      continue;
    }
    const bool complete = i + 2 < text.size();
    const int high = complete ? HexValue(text[i + 1]) : -1;
    const int low = complete ? HexValue(text[i + 2]) : -1;
    if (high < 0 || low < 0) {
      return Status::InvalidArgument("'" + text + "' has a malformed %-escape");
    }
    decoded.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  *out = std::move(decoded);
  return Status::Ok();
}

}  // namespace github
}  // namespace tether

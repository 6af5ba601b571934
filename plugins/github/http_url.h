// Splitting http(s) URLs into the parts the plugin checks: the origin a
// credential may be sent to, the path a repository URL names. Not a general
// URL parser: user info, IPv6 literals and fragments are refused.
//
// Thread safety: pure functions.
#ifndef TETHER_PLUGINS_GITHUB_HTTP_URL_H_
#define TETHER_PLUGINS_GITHUB_HTTP_URL_H_

#include <string>

#include "tether/status.h"

namespace tether {
namespace github {

struct HttpUrl {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // lower case
  std::string port;    // as written; empty for the scheme's default
  std::string path;    // starts with '/' (or is empty); query included

  // "scheme://host[:port]".
  std::string Origin() const;
};

// Parses an absolute http:// or https:// URL. InvalidArgument (naming
// `what` and the URL) for anything else.
Status ParseHttpUrl(const std::string& text, const std::string& what, HttpUrl* out);

// True for 127.0.0.1 (any 127/8 address), ::1 and "localhost".
bool IsLoopbackHost(const std::string& host);

}  // namespace github
}  // namespace tether

#endif  // TETHER_PLUGINS_GITHUB_HTTP_URL_H_

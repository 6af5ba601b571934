// Percent-decoding of request targets and parsing of query strings
// (application/x-www-form-urlencoded, as browsers and curl send them).
//
// Thread safety: pure functions.
#ifndef TETHER_ENGINE_SERVER_URL_H_
#define TETHER_ENGINE_SERVER_URL_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "tether/status.h"

namespace tether::server {

// Decodes %XX escapes (and '+' as a space when `plus_is_space`). nullopt
// for a malformed escape or a decoded NUL byte.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

// Encodes everything but unreserved characters (RFC 3986) and, when
// `keep_slashes`, '/'.
std::string PercentEncode(std::string_view text, bool keep_slashes);

// "a=1&b=x+y" -> {a: "1", b: "x y"}. InvalidArgument naming the parameter
// for a malformed escape or a parameter given twice.
Result<std::map<std::string, std::string>> ParseQuery(std::string_view query);

}  // namespace tether::server

#endif  // TETHER_ENGINE_SERVER_URL_H_

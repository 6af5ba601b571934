// Parsing of query strings (application/x-www-form-urlencoded, as browsers
// and curl send them). Percent-encoding itself: shared/percent_encoding.h.
//
// Thread safety: pure functions.
#ifndef TETHER_ENGINE_HTTP_URL_H_
#define TETHER_ENGINE_HTTP_URL_H_

#include <map>
#include <string>
#include <string_view>

#include "tether/status.h"

namespace tether::http {

// "a=1&b=x+y" -> {a: "1", b: "x y"}. InvalidArgument naming the parameter
// for a malformed escape or a parameter given twice.
Result<std::map<std::string, std::string>> ParseQuery(std::string_view query);

}  // namespace tether::http

#endif  // TETHER_ENGINE_HTTP_URL_H_

// Percent-encoding (RFC 3986) of URL parts, for the engine (request targets,
// query strings, the URLs it answers with) and the bundled plugins
// (repository URLs, REST paths).
//
// Thread safety: pure functions.
#ifndef TETHER_SHARED_PERCENT_ENCODING_H_
#define TETHER_SHARED_PERCENT_ENCODING_H_

#include <optional>
#include <string>
#include <string_view>

namespace tether {

// Decodes %XX escapes (and '+' as a space when `plus_is_space`, as in
// application/x-www-form-urlencoded). nullopt for a malformed escape or a
// decoded NUL byte.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space = false);

// `text` with every byte but the unreserved ones ([A-Za-z0-9-._~]) and
// those in `keep` written as %XX.
std::string PercentEncode(std::string_view text, std::string_view keep = {});

}  // namespace tether

#endif  // TETHER_SHARED_PERCENT_ENCODING_H_

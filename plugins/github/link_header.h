// Reading GitHub's pagination: the Link response header (RFC 8288).
//
//   Link: <https://api.github.com/repositories/1296269/branches?per_page=100&page=2>; rel="next",
//         <https://api.github.com/repositories/1296269/branches?per_page=100&page=3>; rel="last"
//
// The URL is returned exactly as written (GitHub's next links point at
// /repositories/{id}/..., not at the /repos/{owner}/{name} path asked for);
// callers follow it as it is.
//
// Thread safety: a pure function.
#ifndef TETHER_PLUGINS_GITHUB_LINK_HEADER_H_
#define TETHER_PLUGINS_GITHUB_LINK_HEADER_H_

#include <string>

namespace tether {
namespace github {

// The target of the link whose rel includes `rel` ("next"), or "" when the
// header has none. Tolerates whitespace, unquoted rel values, several
// space-separated rels and other parameters.
std::string FindLink(const std::string& header, const std::string& rel);

}  // namespace github
}  // namespace tether

#endif  // TETHER_PLUGINS_GITHUB_LINK_HEADER_H_

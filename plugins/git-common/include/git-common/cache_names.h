// Names of folders and files in a provider's cache, made from text that
// comes from outside (a host, a repository name, a URL).
//
// Thread safety: pure functions.
#ifndef TETHER_PLUGINS_GIT_COMMON_CACHE_NAMES_H_
#define TETHER_PLUGINS_GIT_COMMON_CACHE_NAMES_H_

#include <string>

namespace tether {
namespace git_common {

// A file name made of `text`: letters, digits, '-', '_' and '.', anything
// else as '_'; never empty, never starting with '.', at most 120 bytes.
std::string SafeName(const std::string& text);

// 16 hex digits of the FNV-1a hash of `text`: stable across builds and
// processes, to tell apart names SafeName made alike.
std::string Fnv1a(const std::string& text);

}  // namespace git_common
}  // namespace tether

#endif  // TETHER_PLUGINS_GIT_COMMON_CACHE_NAMES_H_

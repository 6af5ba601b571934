// Small helpers for naming places in a JSON document in error messages:
// JSON pointers (RFC 6901) and quoted names. Internal to engine/config.
//
// Thread safety: pure functions.
#ifndef TETHER_ENGINE_CONFIG_JSON_POINTER_H_
#define TETHER_ENGINE_CONFIG_JSON_POINTER_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace tether::config::internal {

// `parent` extended by the member `name`: "/plugins" + "a/b" ->
// "/plugins/a~1b" ('~' becomes "~0", '/' becomes "~1").
std::string ChildPointer(const std::string& parent, std::string_view name);

// `parent` extended by the array index `index`: "/plugins" + 2 -> "/plugins/2".
std::string ChildPointer(const std::string& parent, size_t index);

// A pointer as shown to people: "(root)" for the whole document (""),
// the pointer itself otherwise.
std::string DisplayPointer(const std::string& pointer);

// `text` in double quotes, with '"', '\\' and control characters escaped as
// in JSON, so a name read from a file cannot garble a message.
std::string Quote(std::string_view text);

}  // namespace tether::config::internal

#endif  // TETHER_ENGINE_CONFIG_JSON_POINTER_H_

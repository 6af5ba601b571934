// How the CLI shows text that comes from outside (ref names, paths,
// repository URLs, and error messages that quote them) to a person: every
// control character and every byte that is not valid UTF-8 as \xNN, so
// that nothing read from a repository, a remote service or a database can
// move the cursor, recolour or retitle a terminal. The escaping is
// sync::DisplayPath's, the one the engine uses in its own messages. Machine
// output (--json) does not use this: JSON escapes control characters and
// keeps the bytes.
//
// Thread safety: pure functions.
#ifndef TETHER_ENGINE_CLI_DISPLAY_H_
#define TETHER_ENGINE_CLI_DISPLAY_H_

#include <string>
#include <string_view>

#include "engine/sync/content_rules.h"

namespace tether::cli {

// One line of text: a name, a path, a URL ('\' as \x5c too, so that the
// escapes in it are unambiguous).
inline std::string Shown(std::string_view text) { return sync::DisplayPath(text); }

// A message: the same, except that line breaks (some messages, such as a
// migration's refusals, are lists) and '\' stay as they are, so that names
// the engine already escaped in the message are not escaped twice.
inline std::string ShownMessage(std::string_view message) {
  std::string out;
  size_t start = 0;
  while (true) {
    const size_t end = message.find_first_of("\n\\", start);
    out += Shown(message.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return out;
    out += message[end];
    start = end + 1;
  }
}

}  // namespace tether::cli

#endif  // TETHER_ENGINE_CLI_DISPLAY_H_

// A guard to run before parsing JSON that comes from outside (a request
// body, a webhook, a config file, a plugin's settings, a remote service's
// answer): it refuses text whose arrays and objects nest deeper than a limit.
//
// Why: a DOM parser such as RapidJSON's recursive one uses stack per level,
// and so do the passes over the tree after it (validators, walkers, a
// recursive destructor); 200,000 '[' in a 400 KB body overflow the stack and
// kill the process. This check is one linear pass over the bytes with no
// allocation and no recursion, so it is cheap to run on every input, and
// after it any parser may recurse freely.
//
// Header only (no ABI impact): the engine and plugins use the same code.
// Thread safety: pure functions.
#ifndef TETHER_JSON_DEPTH_H_
#define TETHER_JSON_DEPTH_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "tether/status.h"

namespace tether {

// The nesting limit for JSON from outside, unless a caller has a reason for
// a tighter one. Real inputs (configs, GitHub payloads) nest under 20.
constexpr size_t kMaxJsonDepth = 64;

// The byte offset of the '[' or '{' that opens level `max_depth` + 1 in
// `json`, or std::string_view::npos when nothing nests that deep. Brackets
// inside strings do not count (escapes are honoured). The text need not be
// valid JSON: for any prefix a JSON parser accepts, this counts at least the
// parser's depth, so a parser never goes deeper than the limit after an OK.
inline size_t JsonDepthExceededAt(std::string_view json, size_t max_depth = kMaxJsonDepth) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character, whatever it is
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > max_depth) return i;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;  // unbalanced: the parser reports it
        break;
      default:
        break;
    }
  }
  return std::string_view::npos;
}

// OK when `json` nests at most `max_depth` levels. Otherwise InvalidArgument
// "<what>: JSON nested deeper than <max_depth> levels at offset <N>", where
// `what` names the input ("webhook body", "settings of plugin 'github'").
inline Status CheckJsonDepth(std::string_view json, const std::string& what,
                             size_t max_depth = kMaxJsonDepth) {
  const size_t at = JsonDepthExceededAt(json, max_depth);
  if (at == std::string_view::npos) return Status::Ok();
  return Status::InvalidArgument(what + ": JSON nested deeper than " + std::to_string(max_depth) +
                                 " levels at offset " + std::to_string(at));
}

}  // namespace tether

#endif  // TETHER_JSON_DEPTH_H_

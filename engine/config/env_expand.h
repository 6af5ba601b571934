// ${NAME} expansion in the string values of a parsed config document.
// Internal to engine/config.
//
// Syntax: "${NAME}" (NAME matching [A-Za-z_][A-Za-z0-9_]*) is replaced by
// the variable's value; "$${" is a literal "${"; any other '$' is itself.
// Text is scanned left to right and "$${" is the escape wherever it starts,
// so "$$${X}" is "$" followed by a literal "${X}". Expansion is one pass: a
// value is never scanned again, so a value holding "${X}" stays as it is.
//
// Errors are InvalidArgument. Their messages name the variable (for an unset
// one) and the JSON pointer of the string, but never a value nor the string
// that held the reference: either may be a secret.
//
// Thread safety: pure functions of their arguments (and of `env`).
#ifndef TETHER_ENGINE_CONFIG_ENV_EXPAND_H_
#define TETHER_ENGINE_CONFIG_ENV_EXPAND_H_

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "tether/status.h"

namespace tether::config::internal {

// Returns the value of an environment variable, or nullopt when it is unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// `text` with its references expanded. Sets *had_reference to whether `text`
// held at least one ${NAME} reference ("$${" alone does not count). The error
// message says what is wrong without a position (the caller adds one).
tether::Result<std::string> ExpandString(std::string_view text, const EnvLookup& env,
                                         bool* had_reference);

// Expands every string value under `value` in place (member names are left
// alone); `pointer` is the JSON pointer of `value`. Adds to *expanded the
// pointer of every string that held a reference. Stops at the first error,
// whose message is "<pointer>: <what>".
tether::Status ExpandStrings(rapidjson::Value& value, const std::string& pointer,
                             rapidjson::Document::AllocatorType& allocator, const EnvLookup& env,
                             std::set<std::string>* expanded);

}  // namespace tether::config::internal

#endif  // TETHER_ENGINE_CONFIG_ENV_EXPAND_H_

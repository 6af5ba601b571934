// How symbol search splits a name into the sub-tokens a query may start
// with: "jv_parse_sized" -> jv, parse, sized; "parseJSONValue" -> parse,
// json, value; "HTTPServer2" -> http, server, 2. Pure functions, safe from
// any thread.
#ifndef TETHER_PLUGINS_SQL_STORAGE_SYMBOL_TOKENS_H_
#define TETHER_PLUGINS_SQL_STORAGE_SYMBOL_TOKENS_H_

#include <string>
#include <string_view>

namespace tether::sql_storage {

// `text` with ASCII letters in lower case (other bytes unchanged, so that
// both databases compare it the same way).
std::string AsciiLower(std::string_view text);

// The lower-case sub-tokens of `name`, each followed by a space and the
// whole preceded by one: " jv parse sized ". A token starts after '_', '-',
// '.', ':', '$', '/', a space or another separator, at a change from lower
// case or a digit to upper case, at the last capital of a run of capitals
// followed by a lower-case letter ("HTTPServer": http, server), and at a
// change between digits and letters.
std::string SymbolTokens(std::string_view name);

// `text` escaped for a LIKE pattern whose escape character is '\'.
std::string EscapeLike(std::string_view text);

}  // namespace tether::sql_storage

#endif  // TETHER_PLUGINS_SQL_STORAGE_SYMBOL_TOKENS_H_

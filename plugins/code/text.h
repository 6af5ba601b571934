// Text helpers of the code analyzer: one-line signatures, comment markers,
// Python docstrings, shebangs. They read bytes only (no regular expressions)
// and keep UTF-8 whole: a cut never splits a character.
//
// Thread safety: pure functions.
#ifndef TETHER_PLUGINS_CODE_TEXT_H_
#define TETHER_PLUGINS_CODE_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace tether {
namespace code {

// `text` with every run of whitespace made one space, trimmed, and cut to at
// most `max_bytes` (at a character boundary).
std::string OneLine(std::string_view text, size_t max_bytes);

// `text` cut to at most `max_bytes` at a character boundary.
std::string_view CutUtf8(std::string_view text, size_t max_bytes);

// One comment's text without its markers: "//", "///", "//!", "#", and
// "/* */", "/** */" with a leading "*" on inner lines. Lines are joined by
// '\n'; leading and trailing blank lines are dropped.
std::string StripCommentMarkers(std::string_view comment);

// A Python string literal's contents as a docstring: prefixes and quotes
// dropped, indentation of the lines after the first removed as far as they
// share it, blank lines at both ends dropped.
std::string CleanDocstring(std::string_view literal);

// A string literal without its quotes ("x", 'x', `x`, <x> kept as written).
std::string_view Unquote(std::string_view literal);

// The engine's language name a shebang line names ("python", "shell",
// "javascript"), or "" when `content` has none or it names something else.
std::string LanguageFromShebang(std::string_view content);

bool IsBlank(std::string_view text);

// Whether C or C++ source says it is C++ in its code (comments and string
// literals aside): "::" before a name, namespace, template<, a class
// declaration, an access label at the start of a line, enum class, using
// namespace or an alias, a C++ cast, noexcept, decltype, or an #include of
// a header without an extension (<cstdint>). Each is a syntax error in C,
// so a C parse of such text fails where a C++ parse may not.
bool LooksLikeCpp(std::string_view source);

}  // namespace code
}  // namespace tether

#endif  // TETHER_PLUGINS_CODE_TEXT_H_

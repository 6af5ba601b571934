#include "symbol_tokens.h"

namespace tether::sql_storage {
namespace {

bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
// Bytes of multi-byte UTF-8 characters count as letters: a token never
// splits a character.
bool IsWordByte(char c) { return IsUpper(c) || IsLower(c) || IsDigit(c) || (static_cast<unsigned char>(c) >= 0x80); }

}  // namespace

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (IsUpper(c)) c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string SymbolTokens(std::string_view name) {
  std::string out = " ";
  std::string token;
  auto flush = [&] {
    if (token.empty()) return;
    out += AsciiLower(token);
    out += ' ';
    token.clear();
  };
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (!IsWordByte(c)) {
      flush();
      continue;
    }
    if (!token.empty()) {
      char prev = token.back();
      bool next_lower = i + 1 < name.size() && IsLower(name[i + 1]);
      bool boundary = (IsUpper(c) && (IsLower(prev) || IsDigit(prev))) ||
                      (IsUpper(c) && IsUpper(prev) && next_lower) ||
                      IsDigit(c) != IsDigit(prev);
      if (boundary) flush();
    }
    token += c;
  }
  flush();
  return out;
}

std::string EscapeLike(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\' || c == '%' || c == '_') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace tether::sql_storage

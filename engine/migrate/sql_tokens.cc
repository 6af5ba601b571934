#include "engine/migrate/sql_tokens.h"

#include <string>
#include <utility>
#include <vector>

namespace tether::migrate::classifier {
namespace {

char ToLowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToLowerAscii(a[i]) != ToLowerAscii(b[i])) return false;
  }
  return true;
}

}  // namespace

std::string ToLowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToLowerAscii(c);
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string Join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

std::string QuoteIfNeeded(const std::string& part) {
  bool plain = !part.empty() && !(part[0] >= '0' && part[0] <= '9');
  for (char c : part) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
              static_cast<unsigned char>(c) >= 0x80;
    if (!ok) plain = false;
  }
  if (plain) return part;
  std::string out = "\"";
  for (char c : part) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

Name WithPart(Name name, std::string part) {
  name.parts.push_back(std::move(part));
  return name;
}

bool IsIdentifier(const SqlToken& token) {
  return token.kind == SqlToken::Kind::kWord || token.kind == SqlToken::Kind::kQuotedIdentifier;
}

std::string Normalize(const SqlToken& token, SqlDialect dialect) {
  if (token.kind == SqlToken::Kind::kQuotedIdentifier && dialect == SqlDialect::kPostgres) {
    return token.text;
  }
  return ToLowerAscii(token.text);
}

TableRef ToTableRef(const Name& table) {
  TableRef ref;
  ref.name = table.last();
  if (table.parts.size() >= 2) ref.schema = table.parts[table.parts.size() - 2];
  return ref;
}

size_t TableQualifiers(const Name& table) { return table.parts.size() - 1; }

bool IsWord(const SqlToken& token, std::string_view word) {
  return token.kind == SqlToken::Kind::kWord && EqualsIgnoreCase(token.text, word);
}

bool IsSymbol(const SqlToken& token, std::string_view symbol) {
  return token.kind == SqlToken::Kind::kSymbol && token.text == symbol;
}

size_t MatchParen(const Tokens& tokens, size_t open, size_t end) {
  int depth = 0;
  for (size_t i = open; i < end; ++i) {
    if (IsSymbol(tokens[i], "(")) ++depth;
    if (IsSymbol(tokens[i], ")") && --depth == 0) return i;
  }
  return end;
}

size_t FindTopLevelWord(const Tokens& tokens, size_t begin, size_t end, std::string_view word) {
  return FindTopLevel(tokens, begin, end, [&](const SqlToken& t) { return IsWord(t, word); });
}

std::vector<Range> SplitTopLevelCommas(const Tokens& tokens, size_t begin, size_t end) {
  std::vector<Range> parts;
  size_t start = begin;
  while (start <= end) {
    size_t comma =
        FindTopLevel(tokens, start, end, [](const SqlToken& t) { return IsSymbol(t, ","); });
    if (comma == kNone) comma = end;
    parts.push_back({start, comma});
    start = comma + 1;
  }
  return parts;
}

std::string TokensText(const Tokens& tokens, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i) {
    const SqlToken& t = tokens[i];
    bool glue = i == begin || IsSymbol(t, "(") || IsSymbol(t, ")") || IsSymbol(t, ",") ||
                IsSymbol(t, ".") || IsSymbol(t, "::") || IsSymbol(tokens[i - 1], "(") ||
                IsSymbol(tokens[i - 1], ".") || IsSymbol(tokens[i - 1], "::");
    if (!glue) out += ' ';
    out += t.text;
  }
  return out;
}

bool IsForeignKeyAction(const Tokens& tokens, size_t cascade) {
  return cascade >= 2 &&
         (IsWord(tokens[cascade - 1], "DELETE") || IsWord(tokens[cascade - 1], "UPDATE")) &&
         IsWord(tokens[cascade - 2], "ON");
}

size_t FindCascade(const Tokens& tokens, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i) {
    if (IsWord(tokens[i], "CASCADE") && !IsForeignKeyAction(tokens, i)) return i;
  }
  return kNone;
}

}  // namespace tether::migrate::classifier

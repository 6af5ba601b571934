// Internal to the migration classifier (migration_classifier.h): one
// statement's tokens (from TokenizeSql) as the classifier reads them. Names
// as a statement writes them (normalized, possibly qualified), searches
// outside parentheses, and a Cursor over a range of tokens.
//
// Thread safety: pure functions and value types.
#ifndef TETHER_ENGINE_MIGRATE_SQL_TOKENS_H_
#define TETHER_ENGINE_MIGRATE_SQL_TOKENS_H_

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "engine/migrate/migration_classifier.h"
#include "engine/migrate/sql_script.h"

namespace tether::migrate::classifier {

inline constexpr size_t kNone = static_cast<size_t>(-1);

// ---------------------------------------------------------------------------
// Text helpers.

std::string ToLowerAscii(std::string_view s);

std::string Upper(std::string_view s);

std::string Join(const std::vector<std::string>& items, std::string_view separator);

// An identifier part as an acknowledgement writes it: bare when it is a
// plain lower-case identifier, double-quoted otherwise.
std::string QuoteIfNeeded(const std::string& part);

// ---------------------------------------------------------------------------
// Names.

// A possibly qualified name, each part normalized (see Normalize).
struct Name {
  std::vector<std::string> parts;

  bool empty() const { return parts.empty(); }
  const std::string& last() const { return parts.back(); }
  std::string ToString() const {
    std::vector<std::string> quoted;
    for (const std::string& part : parts) quoted.push_back(QuoteIfNeeded(part));
    return Join(quoted, ".");
  }
};

Name WithPart(Name name, std::string part);

bool IsIdentifier(const SqlToken& token);

// Unquoted identifiers fold to lower case; a quoted one keeps its case on
// PostgreSQL. SQLite compares every identifier case-insensitively.
std::string Normalize(const SqlToken& token, SqlDialect dialect);

TableRef ToTableRef(const Name& table);

// Schema parts of a table name, and of a column of it.
size_t TableQualifiers(const Name& table);

// ---------------------------------------------------------------------------
// Token navigation.

using Tokens = std::vector<SqlToken>;

bool IsWord(const SqlToken& token, std::string_view word);

bool IsSymbol(const SqlToken& token, std::string_view symbol);

// The index of the ')' matching the '(' at `open`, or `end`.
size_t MatchParen(const Tokens& tokens, size_t open, size_t end);

// The first index in [begin, end) outside parentheses where `match` holds,
// or kNone.
template <typename Match>
size_t FindTopLevel(const Tokens& tokens, size_t begin, size_t end, Match match) {
  int depth = 0;
  for (size_t i = begin; i < end; ++i) {
    if (IsSymbol(tokens[i], "(")) ++depth;
    if (IsSymbol(tokens[i], ")")) --depth;
    if (depth == 0 && match(tokens[i])) return i;
  }
  return kNone;
}

size_t FindTopLevelWord(const Tokens& tokens, size_t begin, size_t end, std::string_view word);

struct Range {
  size_t begin = 0;
  size_t end = 0;
  bool empty() const { return begin >= end; }
};

// [begin, end) cut at the commas outside parentheses.
std::vector<Range> SplitTopLevelCommas(const Tokens& tokens, size_t begin, size_t end);

// The tokens of [begin, end) as text for a message: "varchar(100)".
std::string TokensText(const Tokens& tokens, size_t begin, size_t end);

// A cursor over [begin, end) of one statement's tokens.
class Cursor {
 public:
  Cursor(const Tokens& tokens, SqlDialect dialect, size_t begin, size_t end)
      : tokens_(tokens), dialect_(dialect), pos_(begin), end_(end) {}

  bool AtEnd() const { return pos_ >= end_; }
  size_t pos() const { return pos_; }
  size_t end() const { return end_; }
  void Skip(size_t n = 1) { pos_ = std::min(pos_ + n, end_); }

  bool PeekWord(std::string_view word, size_t ahead = 0) const {
    return pos_ + ahead < end_ && IsWord(tokens_[pos_ + ahead], word);
  }
  bool PeekSymbol(std::string_view symbol) const {
    return !AtEnd() && IsSymbol(tokens_[pos_], symbol);
  }
  bool AcceptWord(std::string_view word) {
    if (!PeekWord(word)) return false;
    ++pos_;
    return true;
  }
  // All of `words` in a row, or nothing.
  bool AcceptWords(std::initializer_list<std::string_view> words) {
    size_t i = 0;
    for (std::string_view word : words) {
      if (!PeekWord(word, i++)) return false;
    }
    pos_ += words.size();
    return true;
  }
  bool AcceptSymbol(std::string_view symbol) {
    if (!PeekSymbol(symbol)) return false;
    ++pos_;
    return true;
  }
  // Skips a parenthesized group if one starts here.
  void SkipParens() {
    if (PeekSymbol("(")) pos_ = std::min(MatchParen(tokens_, pos_, end_) + 1, end_);
  }
  // identifier ('.' identifier)*; empty when no identifier starts here.
  Name AcceptName() {
    Name name;
    if (AtEnd() || !IsIdentifier(tokens_[pos_])) return name;
    name.parts.push_back(Normalize(tokens_[pos_++], dialect_));
    while (pos_ + 1 < end_ && IsSymbol(tokens_[pos_], ".") && IsIdentifier(tokens_[pos_ + 1])) {
      name.parts.push_back(Normalize(tokens_[pos_ + 1], dialect_));
      pos_ += 2;
    }
    return name;
  }

 private:
  const Tokens& tokens_;
  SqlDialect dialect_;
  size_t pos_;
  size_t end_;
};

// ON DELETE CASCADE / ON UPDATE CASCADE: a foreign key action.
bool IsForeignKeyAction(const Tokens& tokens, size_t cascade);

// The first CASCADE in [begin, end) outside parentheses that is not a
// foreign key action, or kNone.
size_t FindCascade(const Tokens& tokens, size_t begin, size_t end);

}  // namespace tether::migrate::classifier

#endif  // TETHER_ENGINE_MIGRATE_SQL_TOKENS_H_

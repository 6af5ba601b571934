#include "engine/migrate/sql_script.h"

#include <array>
#include <cstddef>
#include <string>
#include <utility>

namespace tether::migrate {
namespace {

// ---------------------------------------------------------------------------
// Character classes. Bytes >= 0x80 (UTF-8 sequences) count as identifier
// characters, as in both SQLite and PostgreSQL.

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

bool IsAsciiHexDigit(char c) {
  return IsAsciiDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool IsHighByte(char c) { return static_cast<unsigned char>(c) >= 0x80; }

bool IsIdentStart(char c) { return IsAsciiLetter(c) || c == '_' || IsHighByte(c); }

bool IsIdentCont(char c) { return IsIdentStart(c) || IsAsciiDigit(c) || c == '$'; }

// A dollar-quote tag is an identifier without '$'.
bool IsDollarTagCont(char c) { return IsIdentStart(c) || IsAsciiDigit(c); }

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool IsUtf8Continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

char ToUpperAscii(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

std::string ToUpperAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToUpperAscii(c);
  return out;
}

// ---------------------------------------------------------------------------
// The lexer: one pass over the text, yielding tokens including comments, so
// that the splitter sees comments (directives) and the tokenizer skips them.

enum class RawKind {
  kWord,
  kQuotedIdentifier,
  kString,
  kNumber,
  kSymbol,
  kLineComment,
  kBlockComment,
};

struct RawToken {
  RawKind kind = RawKind::kSymbol;
  size_t begin = 0;  // byte offsets into the lexed text: [begin, end)
  size_t end = 0;
  int line = 1;
  int column = 1;
};

struct LexError {
  int line = 0;
  int column = 0;
  std::string what;  // "single-quoted string", ...

  std::string ToString() const {
    return "line " + std::to_string(line) + ", column " + std::to_string(column) +
           ": unterminated " + what;
  }
};

// Multi-character operators, longest first within each list.
constexpr std::array<std::string_view, 20> kPostgresOperators = {
    "->>", "#>>", "::", "<=", ">=", "<>", "!=", "||", "->", "=>",
    ":=",  "<<",  ">>", "@>", "<@", "#>", "&&", "?|", "?&", "@@"};
constexpr std::array<std::string_view, 10> kSqliteOperators = {
    "->>", "<=", ">=", "<>", "!=", "==", "||", "->", "<<", ">>"};

class Lexer {
 public:
  enum class Step { kToken, kEnd, kError };

  Lexer(std::string_view text, SqlDialect dialect, size_t start)
      : text_(text), dialect_(dialect), pos_(start) {}

  // Reads the next token into *token. On kError, error() says what.
  Step Next(RawToken* token) {
    SkipSpace();
    if (AtEnd()) return Step::kEnd;
    token->begin = pos_;
    token->line = line_;
    token->column = column_;
    Step step = LexToken(token);
    token->end = pos_;
    return step;
  }

  const LexError& error() const { return error_; }

 private:
  bool IsPostgres() const { return dialect_ == SqlDialect::kPostgres; }
  bool IsSqlite() const { return dialect_ == SqlDialect::kSqlite; }
  bool AtEnd() const { return pos_ >= text_.size(); }

  // The byte `ahead` bytes after the current one, or '\0' past the end.
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }

  // Moves n bytes forward (stopping at the end), keeping line and column.
  void Advance(size_t n = 1) {
    for (; n > 0 && !AtEnd(); --n, ++pos_) {
      char c = text_[pos_];
      if (c == '\n') {
        ++line_;
        column_ = 1;
      } else if (!IsUtf8Continuation(c)) {
        ++column_;
      }
    }
  }

  void AdvanceTo(size_t pos) { Advance(pos - pos_); }

  void SkipSpace() {
    while (!AtEnd() && IsSpace(Peek())) Advance();
  }

  Step Fail(const RawToken& start, std::string what) {
    error_ = LexError{start.line, start.column, std::move(what)};
    return Step::kError;
  }

  Step LexToken(RawToken* token) {
    char c = Peek();
    if (c == '-' && Peek(1) == '-') return LexLineComment(token);
    if (c == '/' && Peek(1) == '*') return LexBlockComment(token);
    if (c == '\'') return LexQuoted(token, 1, RawKind::kString, "single-quoted string");
    if (c == '"') {
      return LexQuoted(token, 1, RawKind::kQuotedIdentifier, "double-quoted identifier");
    }
    if (IsSqlite() && c == '[') {
      return LexQuoted(token, 1, RawKind::kQuotedIdentifier, "bracket-quoted identifier");
    }
    if (IsSqlite() && c == '`') {
      return LexQuoted(token, 1, RawKind::kQuotedIdentifier, "backtick-quoted identifier");
    }
    if (IsPostgres() && c == '$') return LexDollar(token);
    if (IsAsciiDigit(c) || (c == '.' && IsAsciiDigit(Peek(1)))) return LexNumber(token);
    if (IsIdentStart(c)) return LexWord(token);
    return LexSymbol(token);
  }

  Step LexLineComment(RawToken* token) {
    token->kind = RawKind::kLineComment;
    while (!AtEnd() && Peek() != '\n') Advance();
    return Step::kToken;
  }

  // SQLite block comments do not nest; PostgreSQL ones do.
  Step LexBlockComment(RawToken* token) {
    token->kind = RawKind::kBlockComment;
    Advance(2);
    int depth = 1;
    while (depth > 0) {
      if (AtEnd()) return Fail(*token, "block comment");
      if (Peek() == '*' && Peek(1) == '/') {
        Advance(2);
        --depth;
      } else if (IsPostgres() && Peek() == '/' && Peek(1) == '*') {
        Advance(2);
        ++depth;
      } else {
        Advance();
      }
    }
    return Step::kToken;
  }

  // A quoted token whose opening quote is the last of its first
  // `prefix_length` bytes ('x', E'x', U&"x", [x]). A doubled closing quote
  // is an escaped quote, except in brackets; with `backslash_escapes`, a
  // backslash escapes the byte after it.
  Step LexQuoted(RawToken* token, size_t prefix_length, RawKind kind, const char* what,
                 bool backslash_escapes = false) {
    token->kind = kind;
    char open = Peek(prefix_length - 1);
    char close = open == '[' ? ']' : open;
    bool doubling = open != '[';
    Advance(prefix_length);
    while (true) {
      if (AtEnd()) return Fail(*token, what);
      char c = Peek();
      if (backslash_escapes && c == '\\') {
        Advance(2);
      } else if (c != close) {
        Advance();
      } else if (doubling && Peek(1) == close) {
        Advance(2);
      } else {
        Advance();
        return Step::kToken;
      }
    }
  }

  // PostgreSQL: $tag$...$tag$ or $$...$$ is a string; $1 a parameter.
  Step LexDollar(RawToken* token) {
    size_t i = 1;
    if (IsIdentStart(Peek(i))) {
      while (IsDollarTagCont(Peek(i))) ++i;
    }
    if (Peek(i) != '$') return LexSymbol(token);
    token->kind = RawKind::kString;
    std::string_view delimiter = text_.substr(pos_, i + 1);
    size_t close = text_.find(delimiter, pos_ + delimiter.size());
    if (close == std::string_view::npos) {
      return Fail(*token, "dollar-quoted string " + std::string(delimiter));
    }
    AdvanceTo(close + delimiter.size());
    return Step::kToken;
  }

  Step LexNumber(RawToken* token) {
    token->kind = RawKind::kNumber;
    if (Peek() == '0' && (Peek(1) == 'x' || Peek(1) == 'X') && IsAsciiHexDigit(Peek(2))) {
      Advance(2);
      while (IsAsciiHexDigit(Peek()) || Peek() == '_') Advance();
      return Step::kToken;
    }
    SkipDigits();
    if (Peek() == '.' && Peek(1) != '.') {
      Advance();
      SkipDigits();
    }
    bool exponent = (Peek() == 'e' || Peek() == 'E') &&
                    (IsAsciiDigit(Peek(1)) ||
                     ((Peek(1) == '+' || Peek(1) == '-') && IsAsciiDigit(Peek(2))));
    if (exponent) {
      Advance(IsAsciiDigit(Peek(1)) ? 1 : 2);
      SkipDigits();
    }
    return Step::kToken;
  }

  void SkipDigits() {
    while (IsAsciiDigit(Peek()) || (Peek() == '_' && IsAsciiDigit(Peek(1)))) Advance();
  }

  // A word, or a string with a letter prefix: E'' B'' X'' N'' U&'' U&"" in
  // PostgreSQL, X'' in SQLite.
  Step LexWord(RawToken* token) {
    char c = ToUpperAscii(Peek());
    char next = Peek(1);
    if (IsPostgres()) {
      if (c == 'E' && next == '\'') {
        return LexQuoted(token, 2, RawKind::kString, "escape string (E'...')", true);
      }
      if ((c == 'B' || c == 'X' || c == 'N') && next == '\'') {
        return LexQuoted(token, 2, RawKind::kString, "single-quoted string");
      }
      if (c == 'U' && next == '&' && Peek(2) == '\'') {
        return LexQuoted(token, 3, RawKind::kString, "single-quoted string");
      }
      if (c == 'U' && next == '&' && Peek(2) == '"') {
        return LexQuoted(token, 3, RawKind::kQuotedIdentifier, "double-quoted identifier");
      }
    }
    if (IsSqlite() && c == 'X' && next == '\'') {
      return LexQuoted(token, 2, RawKind::kString, "single-quoted string");
    }
    token->kind = RawKind::kWord;
    while (IsIdentCont(Peek())) Advance();
    return Step::kToken;
  }

  Step LexSymbol(RawToken* token) {
    token->kind = RawKind::kSymbol;
    char c = Peek();
    if (LexParameter(c)) return Step::kToken;
    if (IsPostgres()) {
      if (LexOperator(kPostgresOperators)) return Step::kToken;
    } else {
      if (LexOperator(kSqliteOperators)) return Step::kToken;
    }
    Advance();
    return Step::kToken;
  }

  // $1 in PostgreSQL; ?1, :name, @name, $name in SQLite.
  bool LexParameter(char c) {
    if (IsPostgres()) {
      if (c != '$' || !IsAsciiDigit(Peek(1))) return false;
      Advance();
      while (IsAsciiDigit(Peek())) Advance();
      return true;
    }
    if (c == '?') {
      Advance();
      while (IsAsciiDigit(Peek())) Advance();
      return true;
    }
    if ((c == ':' || c == '@' || c == '$') && IsIdentCont(Peek(1))) {
      Advance();
      while (IsIdentCont(Peek())) Advance();
      return true;
    }
    return false;
  }

  template <size_t N>
  bool LexOperator(const std::array<std::string_view, N>& operators) {
    std::string_view rest = text_.substr(pos_);
    for (std::string_view op : operators) {
      if (rest.substr(0, op.size()) == op) {
        Advance(op.size());
        return true;
      }
    }
    return false;
  }

  std::string_view text_;
  SqlDialect dialect_;
  size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
  LexError error_;
};

// ---------------------------------------------------------------------------
// Token text for the public tokenizer.

// "a""b" -> a"b, `a``b` -> a`b, [a b] -> a b, U&"a" -> a.
std::string UnquoteIdentifier(std::string_view raw) {
  if (raw[0] == 'U' || raw[0] == 'u') raw.remove_prefix(2);  // U&"..."
  char open = raw.front();
  char close = open == '[' ? ']' : open;
  std::string_view inner = raw.substr(1, raw.size() - 2);
  if (open == '[') return std::string(inner);
  std::string out;
  out.reserve(inner.size());
  for (size_t i = 0; i < inner.size(); ++i) {
    out += inner[i];
    if (inner[i] == close) ++i;  // skip the second quote of a doubled pair
  }
  return out;
}

SqlToken::Kind PublicKind(RawKind kind) {
  switch (kind) {
    case RawKind::kWord: return SqlToken::Kind::kWord;
    case RawKind::kQuotedIdentifier: return SqlToken::Kind::kQuotedIdentifier;
    case RawKind::kString: return SqlToken::Kind::kString;
    case RawKind::kNumber: return SqlToken::Kind::kNumber;
    case RawKind::kSymbol:
    case RawKind::kLineComment:
    case RawKind::kBlockComment: break;
  }
  return SqlToken::Kind::kSymbol;
}

bool IsComment(const RawToken& token) {
  return token.kind == RawKind::kLineComment || token.kind == RawKind::kBlockComment;
}

std::string_view TextOf(std::string_view sql, const RawToken& token) {
  return sql.substr(token.begin, token.end - token.begin);
}

// ---------------------------------------------------------------------------
// Bodies in which ';' does not end the statement.

// Which statements have a BEGIN ... END body, recognized by their leading
// words: SQLite CREATE [TEMP|TEMPORARY] TRIGGER, PostgreSQL CREATE [OR
// REPLACE] FUNCTION|PROCEDURE (whose BEGIN ATOMIC body is optional).
enum class BodyKind { kNone, kUndecided, kSqliteTrigger, kPostgresRoutine };

BodyKind MatchLeadingWords(const std::vector<std::string>& words, SqlDialect dialect) {
  using Pattern = std::vector<std::string_view>;
  static const std::vector<Pattern> kTrigger = {
      {"CREATE", "TRIGGER"}, {"CREATE", "TEMP", "TRIGGER"}, {"CREATE", "TEMPORARY", "TRIGGER"}};
  static const std::vector<Pattern> kRoutine = {{"CREATE", "FUNCTION"},
                                                {"CREATE", "PROCEDURE"},
                                                {"CREATE", "OR", "REPLACE", "FUNCTION"},
                                                {"CREATE", "OR", "REPLACE", "PROCEDURE"}};
  bool sqlite = dialect == SqlDialect::kSqlite;
  const std::vector<Pattern>& patterns = sqlite ? kTrigger : kRoutine;
  bool is_prefix = false;
  for (const Pattern& pattern : patterns) {
    if (words.size() > pattern.size()) continue;
    bool same = true;
    for (size_t i = 0; i < words.size() && same; ++i) same = words[i] == pattern[i];
    if (!same) continue;
    if (words.size() == pattern.size()) {
      return sqlite ? BodyKind::kSqliteTrigger : BodyKind::kPostgresRoutine;
    }
    is_prefix = true;
  }
  return is_prefix ? BodyKind::kUndecided : BodyKind::kNone;
}

// Follows the code tokens of one statement and says whether a ';' there is
// inside a BEGIN ... END body. CASE ... END nests inside a body.
class BodyTracker {
 public:
  explicit BodyTracker(SqlDialect dialect) : dialect_(dialect) {}

  void Observe(RawKind kind, std::string_view text) {
    if (kind == RawKind::kSymbol) ObserveSymbol(text);
    if (kind_ == BodyKind::kUndecided) DecideKind(kind, text);
    if (kind == RawKind::kWord) ObserveWord(ToUpperAscii(text));
  }

  // True when a ';' now belongs to the statement instead of ending it.
  bool InsideBody() const {
    if (kind_ == BodyKind::kSqliteTrigger) return !body_opened_ || depth_ > 0;
    return depth_ > 0;
  }

  // What is unterminated when the script ends inside the body.
  const char* UnterminatedWhat() const {
    return kind_ == BodyKind::kSqliteTrigger
               ? "trigger body (CREATE TRIGGER without an END matching its BEGIN)"
               : "routine body (BEGIN ATOMIC without a matching END)";
  }

 private:
  void DecideKind(RawKind kind, std::string_view text) {
    if (kind != RawKind::kWord) {
      kind_ = BodyKind::kNone;
      return;
    }
    leading_words_.push_back(ToUpperAscii(text));
    kind_ = MatchLeadingWords(leading_words_, dialect_);
  }

  void ObserveSymbol(std::string_view text) {
    if (text == "(") ++paren_depth_;
    if (text == ")" && paren_depth_ > 0) --paren_depth_;
  }

  void ObserveWord(const std::string& word) {
    if (kind_ == BodyKind::kSqliteTrigger) {
      if (word == "BEGIN") body_opened_ = true;
      if (word == "BEGIN" || word == "CASE") ++depth_;
      if (word == "END" && depth_ > 0) --depth_;
      return;
    }
    // PostgreSQL, as psql does it: only outside parentheses (a parameter
    // named "end"), and CASE counts only once inside a body.
    if (kind_ != BodyKind::kPostgresRoutine || paren_depth_ > 0) return;
    if (word == "BEGIN" || (word == "CASE" && depth_ > 0)) ++depth_;
    if (word == "END" && depth_ > 0) --depth_;
  }

  SqlDialect dialect_;
  BodyKind kind_ = BodyKind::kUndecided;
  std::vector<std::string> leading_words_;
  bool body_opened_ = false;
  int depth_ = 0;
  int paren_depth_ = 0;
};

// ---------------------------------------------------------------------------
// The splitter.

// "-- tether:allow x  " -> "tether:allow x"; anything else -> "".
std::string DirectiveOf(std::string_view comment) {
  std::string_view body = comment.substr(2);
  while (!body.empty() && (body.front() == ' ' || body.front() == '\t')) body.remove_prefix(1);
  if (body.substr(0, 7) != "tether:") return "";
  while (!body.empty() && IsSpace(body.back())) body.remove_suffix(1);
  return std::string(body);
}

// True when only spaces precede `offset` on its line.
bool StartsOwnLine(std::string_view sql, size_t offset) {
  while (offset > 0) {
    char c = sql[offset - 1];
    if (c == '\n') return true;
    if (c != ' ' && c != '\t' && c != '\r' && c != '\f' && c != '\v') return false;
    --offset;
  }
  return true;
}

size_t SkipByteOrderMark(std::string_view sql) {
  return sql.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
}

// The statement being read: its span, directives and body state.
class StatementBuilder {
 public:
  explicit StatementBuilder(SqlDialect dialect) : dialect_(dialect), body_(dialect) {}

  bool empty() const { return !has_code_; }
  bool InsideBody() const { return body_.InsideBody(); }
  const BodyTracker& body() const { return body_; }
  int line() const { return line_; }
  int column() const { return column_; }

  void AddCode(const RawToken& token, std::string_view text,
               std::vector<std::string>* pending_directives) {
    if (!has_code_) {
      has_code_ = true;
      begin_ = token.begin;
      line_ = token.line;
      column_ = token.column;
      directives_ = std::move(*pending_directives);
      pending_directives->clear();
    }
    end_ = token.end;
    body_.Observe(token.kind, text);
  }

  // Appends the statement to `out` and starts a new one.
  void Finish(std::string_view sql, std::vector<SqlStatement>* out) {
    if (has_code_) {
      SqlStatement statement;
      statement.text = std::string(sql.substr(begin_, end_ - begin_));
      statement.line = line_;
      statement.directives = std::move(directives_);
      out->push_back(std::move(statement));
    }
    *this = StatementBuilder(dialect_);
  }

 private:
  SqlDialect dialect_;
  BodyTracker body_;
  bool has_code_ = false;
  size_t begin_ = 0;
  size_t end_ = 0;
  int line_ = 0;
  int column_ = 0;
  std::vector<std::string> directives_;
};

Status Unterminated(const std::string& source_name, const LexError& error) {
  return Status::InvalidArgument(source_name + ": " + error.ToString());
}

}  // namespace

tether::Result<SqlScript> SplitSqlScript(std::string_view sql, SqlDialect dialect,
                                         const std::string& source_name) {
  SqlScript script;
  std::vector<std::string> pending_directives;
  StatementBuilder statement(dialect);
  Lexer lexer(sql, dialect, SkipByteOrderMark(sql));
  RawToken token;
  while (true) {
    Lexer::Step step = lexer.Next(&token);
    if (step == Lexer::Step::kError) return Unterminated(source_name, lexer.error());
    if (step == Lexer::Step::kEnd) break;
    std::string_view text = TextOf(sql, token);
    if (token.kind == RawKind::kLineComment) {
      std::string directive = DirectiveOf(text);
      if (directive.empty()) continue;
      script.file_directives.push_back(directive);
      if (statement.empty() && StartsOwnLine(sql, token.begin)) {
        pending_directives.push_back(std::move(directive));
      }
      continue;
    }
    if (token.kind == RawKind::kBlockComment) continue;
    if (token.kind == RawKind::kSymbol && text == ";" && !statement.InsideBody()) {
      statement.Finish(sql, &script.statements);
      continue;
    }
    statement.AddCode(token, text, &pending_directives);
  }
  if (!statement.empty() && statement.InsideBody()) {
    return Unterminated(source_name, LexError{statement.line(), statement.column(),
                                              statement.body().UnterminatedWhat()});
  }
  statement.Finish(sql, &script.statements);
  return script;
}

tether::Result<std::vector<SqlToken>> TokenizeSql(std::string_view statement,
                                                  SqlDialect dialect) {
  std::vector<SqlToken> tokens;
  Lexer lexer(statement, dialect, 0);
  RawToken token;
  while (true) {
    Lexer::Step step = lexer.Next(&token);
    if (step == Lexer::Step::kError) {
      return Status::InvalidArgument(lexer.error().ToString());
    }
    if (step == Lexer::Step::kEnd) break;
    if (IsComment(token)) continue;
    std::string_view text = TextOf(statement, token);
    SqlToken out;
    out.kind = PublicKind(token.kind);
    out.text = token.kind == RawKind::kQuotedIdentifier ? UnquoteIdentifier(text)
                                                        : std::string(text);
    out.line = token.line;
    out.column = token.column;
    tokens.push_back(std::move(out));
  }
  return tokens;
}

}  // namespace tether::migrate

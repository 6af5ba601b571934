#include "text.h"

#include <algorithm>
#include <vector>

namespace tether {
namespace code {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (true) {
    const size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  for (std::string_view& line : lines) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  }
  return lines;
}

// Joins `lines` with '\n', dropping blank lines at both ends.
std::string JoinTrimmed(const std::vector<std::string>& lines) {
  size_t first = 0;
  size_t last = lines.size();
  while (first < last && IsBlank(lines[first])) ++first;
  while (last > first && IsBlank(lines[last - 1])) --last;
  std::string out;
  for (size_t i = first; i < last; ++i) {
    if (i > first) out += '\n';
    std::string_view line = lines[i];
    while (!line.empty() && IsSpace(line.back())) line.remove_suffix(1);
    out += line;
  }
  return out;
}

std::string_view DropOneSpace(std::string_view text) {
  if (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  return text;
}

bool IsIdentifierStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

bool IsIdentifierChar(char c) { return IsIdentifierStart(c) || (c >= '0' && c <= '9'); }

// Reads C/C++ source a token at a time, stepping over comments and string
// and character literals.
class CppSignals {
 public:
  explicit CppSignals(std::string_view source) : s_(source) {}

  bool Found() {
    bool line_start = true;  // only blanks so far on this line
    while (p_ < s_.size()) {
      const char c = s_[p_];
      if (c == '\n') {
        line_start = true;
        ++p_;
        continue;
      }
      if (IsSpace(c)) {
        ++p_;
        continue;
      }
      const bool at_line_start = line_start;
      line_start = false;
      if (c == '/' && At(p_ + 1) == '/') {
        SkipTo('\n');
      } else if (c == '/' && At(p_ + 1) == '*') {
        const size_t end = s_.find("*/", p_ + 2);
        p_ = end == std::string_view::npos ? s_.size() : end + 2;
      } else if (c == '"' || c == '\'') {
        SkipLiteral(c);
      } else if (c == '#' && at_line_start) {
        if (IncludesHeaderWithoutExtension()) return true;
      } else if (c == ':' && At(p_ + 1) == ':') {
        // "a::b", "::b", "~"; not inline assembly's ":::".
        if (At(p_ + 2) != ':' && (IsIdentifierStart(At(p_ + 2)) || At(p_ + 2) == '~')) return true;
        p_ += 2;
        while (At(p_) == ':') ++p_;
      } else if (IsIdentifierStart(c)) {
        if (Word(Identifier(), at_line_start)) return true;
      } else {
        ++p_;
      }
    }
    return false;
  }

 private:
  char At(size_t i) const { return i < s_.size() ? s_[i] : '\0'; }

  void SkipTo(char c) {
    const size_t end = s_.find(c, p_);
    p_ = end == std::string_view::npos ? s_.size() : end;
  }

  void SkipSpaces() {
    while (p_ < s_.size() && IsSpace(s_[p_])) ++p_;
  }

  // A literal ends at its quote or at the end of the line.
  void SkipLiteral(char quote) {
    ++p_;
    while (p_ < s_.size() && s_[p_] != quote && s_[p_] != '\n') p_ += s_[p_] == '\\' ? 2 : 1;
    if (p_ < s_.size() && s_[p_] == quote) ++p_;
  }

  std::string_view Identifier() {
    const size_t start = p_;
    while (p_ < s_.size() && IsIdentifierChar(s_[p_])) ++p_;
    return s_.substr(start, p_ - start);
  }

  // The next token after blanks, without consuming it: its first byte.
  char Next() {
    SkipSpaces();
    return At(p_);
  }

  // The words that are C++ by what follows them.
  bool Word(std::string_view word, bool at_line_start) {
    if (word == "static_cast" || word == "reinterpret_cast" || word == "const_cast" || word == "dynamic_cast" ||
        word == "noexcept" || word == "decltype") {
      return true;
    }
    if (word == "namespace") {
      const char next = Next();
      return IsIdentifierStart(next) || next == '{';
    }
    if (word == "template") return Next() == '<';
    if (word == "class") {
      // class Name { / class Name : / class Name; / class Name final
      if (!IsIdentifierStart(Next())) return false;
      Identifier();
      const char next = Next();
      if (next == '{' || next == ';' || (next == ':' && At(p_ + 1) != ':')) return true;
      return IsIdentifierStart(next) && Identifier() == "final";
    }
    if (at_line_start && (word == "public" || word == "private" || word == "protected")) {
      return Next() == ':' && At(p_ + 1) != ':';
    }
    if (word == "enum") {
      if (!IsIdentifierStart(Next())) return false;
      const std::string_view kind = Identifier();
      return kind == "class" || kind == "struct";
    }
    if (word == "using") {
      if (!IsIdentifierStart(Next())) return false;
      if (Identifier() == "namespace") return true;
      return Next() == '=';
    }
    return false;
  }

  // #include <cstdint>, <vector>: a standard C++ header.
  bool IncludesHeaderWithoutExtension() {
    ++p_;
    SkipSpaces();
    const bool include = Identifier() == "include";
    if (include && Next() == '<') {
      ++p_;
      const std::string_view name = Identifier();
      if (!name.empty() && At(p_) == '>') return true;
    }
    // The rest of the directive is C either way: step over it as code.
    return false;
  }

  std::string_view s_;
  size_t p_ = 0;
};

}  // namespace

bool LooksLikeCpp(std::string_view source) { return CppSignals(source).Found(); }

bool IsBlank(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return IsSpace(c); });
}

std::string_view CutUtf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  // Back off continuation bytes (10xxxxxx) so that no character is split.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

std::string OneLine(std::string_view text, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  bool space = false;
  for (char c : Trim(text)) {
    if (IsSpace(c)) {
      space = true;
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
    if (out.size() >= max_bytes + 4) break;  // enough to cut from
  }
  return std::string(CutUtf8(out, max_bytes));
}

std::string StripCommentMarkers(std::string_view comment) {
  comment = Trim(comment);
  std::vector<std::string> out;
  if (StartsWith(comment, "/*")) {
    comment.remove_prefix(2);
    while (!comment.empty() && (comment.front() == '*' || comment.front() == '!')) comment.remove_prefix(1);
    if (comment.size() >= 2 && comment.substr(comment.size() - 2) == "*/") comment.remove_suffix(2);
    while (!comment.empty() && comment.back() == '*') comment.remove_suffix(1);
    for (std::string_view line : SplitLines(comment)) {
      std::string_view inner = line;
      while (!inner.empty() && IsSpace(inner.front())) inner.remove_prefix(1);
      if (!inner.empty() && inner.front() == '*') {
        line = DropOneSpace(inner.substr(1));
      } else {
        line = DropOneSpace(line);
      }
      out.emplace_back(line);
    }
    return JoinTrimmed(out);
  }
  for (std::string_view line : SplitLines(comment)) {
    line = Trim(line);
    if (StartsWith(line, "//")) {
      line.remove_prefix(2);
      if (!line.empty() && (line.front() == '/' || line.front() == '!')) line.remove_prefix(1);
    } else if (StartsWith(line, "#")) {
      line.remove_prefix(1);
    }
    out.emplace_back(DropOneSpace(line));
  }
  return JoinTrimmed(out);
}

std::string CleanDocstring(std::string_view literal) {
  size_t prefix = 0;
  while (prefix < literal.size() && literal[prefix] != '"' && literal[prefix] != '\'') ++prefix;
  literal.remove_prefix(prefix);
  for (std::string_view quote : {"\"\"\"", "'''", "\"", "'"}) {
    if (literal.size() >= 2 * quote.size() && StartsWith(literal, quote) &&
        literal.substr(literal.size() - quote.size()) == quote) {
      literal = literal.substr(quote.size(), literal.size() - 2 * quote.size());
      break;
    }
  }
  std::vector<std::string_view> lines = SplitLines(literal);
  // The indentation the lines after the first share (blank lines aside).
  size_t indent = std::string_view::npos;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (IsBlank(lines[i])) continue;
    size_t n = 0;
    while (n < lines[i].size() && (lines[i][n] == ' ' || lines[i][n] == '\t')) ++n;
    indent = std::min(indent, n);
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (i == 0) {
      line = Trim(line);
    } else if (indent != std::string_view::npos) {
      line.remove_prefix(std::min(indent, line.size()));
    }
    out.emplace_back(line);
  }
  return JoinTrimmed(out);
}

std::string_view Unquote(std::string_view literal) {
  if (literal.size() >= 2) {
    const char first = literal.front();
    if ((first == '"' || first == '\'' || first == '`') && literal.back() == first) {
      return literal.substr(1, literal.size() - 2);
    }
  }
  return literal;
}

std::string LanguageFromShebang(std::string_view content) {
  if (!StartsWith(content, "#!")) return "";
  size_t end = content.find('\n');
  if (end == std::string_view::npos) end = content.size();
  const std::string_view line = content.substr(2, std::min<size_t>(end - 2, 256));
  // The words of the line: the interpreter, then (for env) its arguments.
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size() && words.size() < 8) {
    while (i < line.size() && IsSpace(line[i])) ++i;
    const size_t start = i;
    while (i < line.size() && !IsSpace(line[i])) ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  std::string_view program;
  for (size_t w = 0; w < words.size(); ++w) {
    std::string_view base = words[w];
    const size_t slash = base.rfind('/');
    if (slash != std::string_view::npos) base.remove_prefix(slash + 1);
    if (w == 0 && base == "env") continue;
    if (w > 0 && (StartsWith(base, "-") || base.find('=') != std::string_view::npos)) continue;
    program = base;
    break;
  }
  // "python3.11" and "python3" are python.
  while (!program.empty() && ((program.back() >= '0' && program.back() <= '9') || program.back() == '.')) {
    program.remove_suffix(1);
  }
  if (program == "python" || program == "pypy") return "python";
  if (program == "sh" || program == "bash" || program == "dash" || program == "ksh" || program == "zsh") {
    return "shell";
  }
  if (program == "node" || program == "nodejs") return "javascript";
  return "";
}

}  // namespace code
}  // namespace tether

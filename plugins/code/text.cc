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

}  // namespace

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

#include "engine/migrate/select_list.h"

#include <string_view>

namespace tether::migrate::classifier {
namespace {

bool IsValueKeyword(const SqlToken& token) {
  static const std::string_view kWords[] = {"NULL",         "TRUE",        "FALSE",
                                            "DEFAULT",      "END",         "CURRENT_TIMESTAMP",
                                            "CURRENT_DATE", "CURRENT_TIME"};
  for (std::string_view word : kWords) {
    if (IsWord(token, word)) return true;
  }
  return false;
}

SelectItem AnalyzeSelectItem(const Tokens& tokens, SqlDialect dialect, Range r) {
  SelectItem item;
  size_t n = r.end - r.begin;
  for (size_t i = r.begin; i < r.end; ++i) {
    if (IsIdentifier(tokens[i]) && !IsValueKeyword(tokens[i])) {
      item.referenced.insert(Normalize(tokens[i], dialect));
    }
  }
  const SqlToken& last = tokens[r.end - 1];
  if (IsSymbol(last, "*")) {
    item.star = n == 1 || IsSymbol(tokens[r.end - 2], ".");
    return item;
  }
  if (!IsIdentifier(last) || IsValueKeyword(last)) return item;
  if (n >= 2 && IsWord(tokens[r.end - 2], "AS")) {
    item.output = Normalize(last, dialect);
    return item;
  }
  Cursor name(tokens, dialect, r.begin, r.end);
  if (!name.AcceptName().empty() && name.AtEnd()) {
    item.output = Normalize(last, dialect);
    return item;
  }
  // "expr alias": an alias right after a value or a closing parenthesis.
  const SqlToken& before = tokens[r.end - 2];
  bool value_before = IsSymbol(before, ")") || before.kind == SqlToken::Kind::kString ||
                      before.kind == SqlToken::Kind::kNumber ||
                      (IsIdentifier(before) && !IsValueKeyword(before));
  if (value_before) item.output = Normalize(last, dialect);
  return item;
}

}  // namespace

SelectInfo ParseSelect(const Tokens& tokens, SqlDialect dialect, size_t begin, size_t end) {
  SelectInfo info;
  Cursor c(tokens, dialect, begin, end);
  if (!c.AcceptWord("SELECT")) return info;
  if (c.AcceptWord("DISTINCT")) {
    if (c.AcceptWord("ON")) c.SkipParens();
  }
  c.AcceptWord("ALL");
  size_t from = FindTopLevelWord(tokens, c.pos(), end, "FROM");
  size_t list_end = from == kNone ? end : from;
  if (list_end <= c.pos()) return info;
  for (Range r : SplitTopLevelCommas(tokens, c.pos(), list_end)) {
    if (r.empty()) return info;
    info.items.push_back(AnalyzeSelectItem(tokens, dialect, r));
  }
  info.valid = true;
  if (from == kNone) return info;
  Cursor f(tokens, dialect, from + 1, end);
  f.AcceptWord("ONLY");
  info.from = f.AcceptName();
  for (std::string_view word : {"WHERE", "LIMIT", "JOIN", "UNION", "EXCEPT", "INTERSECT"}) {
    if (FindTopLevelWord(tokens, from, end, word) != kNone) info.filtered = true;
  }
  return info;
}

}  // namespace tether::migrate::classifier

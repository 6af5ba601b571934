#include "engine/migrate/statement_rules.h"

#include <set>
#include <string>
#include <utility>

namespace tether::migrate::classifier {

size_t StatementClassifier::Add(MigrationRule rule, const Name& object, size_t qualifiers,
                                std::string statement, std::string consequence) {
  Candidate c;
  c.rule = rule;
  c.object = object;
  c.qualifiers = qualifiers;
  c.line = line_;
  c.statement = std::move(statement);
  c.consequence = std::move(consequence);
  out_->push_back(std::move(c));
  if (rule == MigrationRule::kCascade) cascade_claimed_ = true;
  return out_->size() - 1;
}

void StatementClassifier::AddCascade(const Name& object, size_t qualifiers,
                                     const std::string& statement) {
  Add(MigrationRule::kCascade, object, qualifiers, statement + " ... CASCADE",
      "CASCADE also drops or empties whatever depends on " + object.ToString() +
          " (views, foreign keys, columns, rows in other tables), none of which this file names");
}

void StatementClassifier::ClassifyRange(size_t begin, size_t end) {
  Cursor c = At(begin, end);
  if (c.PeekWord("WITH")) return ClassifyWith(begin, end);
  if (c.PeekWord("DROP")) return ClassifyDrop(begin, end);
  if (c.PeekWord("ALTER") && c.PeekWord("TABLE", 1)) return ClassifyAlterTable(begin, end);
  if (c.PeekWord("TRUNCATE")) return ClassifyTruncate(begin, end);
  if (c.PeekWord("DELETE")) return ClassifyDelete(begin, end);
  if (c.PeekWord("UPDATE")) return ClassifyUpdate(begin, end);
  if (c.PeekWord("INSERT") || c.PeekWord("REPLACE")) return ClassifyInsert(begin, end);
  if (c.PeekWord("CREATE")) return ClassifyCreate(begin, end);
}

// CASCADE that no rule claimed (REVOKE ... CASCADE, ALTER DOMAIN ... DROP
// CONSTRAINT ... CASCADE): a cascade finding on the first object named.
void StatementClassifier::ReportUnclaimedCascade() {
  if (cascade_claimed_ || IsWord(t_[0], "CREATE")) return;  // CREATE: only bodies
  if (FindCascade(t_, 0, t_.size()) == kNone) return;
  static const std::set<std::string> kLeading = {
      "ALTER",      "DROP",       "REVOKE",   "GRANT",        "OPTION",   "FOR",
      "ALL",        "PRIVILEGES", "ON",       "TABLE",        "TABLES",   "IN",
      "SCHEMA",     "SELECT",     "INSERT",   "UPDATE",       "DELETE",   "TRUNCATE",
      "REFERENCES", "TRIGGER",    "USAGE",    "EXECUTE",      "CREATE",   "CONNECT",
      "TEMPORARY",  "TEMP",       "DOMAIN",   "TYPE",         "SEQUENCE", "FUNCTION",
      "PROCEDURE",  "ROUTINE",    "VIEW",     "MATERIALIZED", "FOREIGN",  "DATA",
      "WRAPPER",    "SERVER",     "LANGUAGE", "LARGE",        "OBJECT",   "DATABASE",
      "TABLESPACE", "IF",         "EXISTS",   "ONLY",         "MAINTAIN"};
  size_t i = 0;
  while (i < t_.size() &&
         ((t_[i].kind == SqlToken::Kind::kWord && kLeading.count(Upper(t_[i].text)) > 0) ||
          IsSymbol(t_[i], ","))) {
    ++i;
  }
  Cursor c = At(i, t_.size());
  Name object = c.AcceptName();
  if (object.empty()) object.parts.push_back(ToLowerAscii(t_[0].text));
  AddCascade(object, TableQualifiers(object), Upper(t_[0].text));
}

// WITH [RECURSIVE] name [(cols)] AS [NOT] [MATERIALIZED] (body) [, ...] main
// Each body and the main statement are classified on their own.
void StatementClassifier::ClassifyWith(size_t begin, size_t end) {
  Cursor c = At(begin + 1, end);
  c.AcceptWord("RECURSIVE");
  while (!c.AtEnd()) {
    if (c.AcceptName().empty()) return;
    c.SkipParens();
    if (!c.AcceptWord("AS")) return;
    c.AcceptWord("NOT");
    c.AcceptWord("MATERIALIZED");
    if (!c.PeekSymbol("(")) return;
    size_t close = MatchParen(t_, c.pos(), end);
    ClassifyRange(c.pos() + 1, close);
    c.Skip(close - c.pos() + 1);
    if (!c.AcceptSymbol(",")) break;
  }
  ClassifyRange(c.pos(), end);
}

}  // namespace tether::migrate::classifier

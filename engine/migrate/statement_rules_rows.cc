#include "engine/migrate/statement_rules.h"

#include <string>
#include <utility>
#include <vector>

namespace tether::migrate::classifier {

// TRUNCATE [TABLE] [ONLY] name [*] [, ...] [RESTART|CONTINUE IDENTITY] [CASCADE]
void StatementClassifier::ClassifyTruncate(size_t begin, size_t end) {
  Cursor c = At(begin + 1, end);
  c.AcceptWord("TABLE");
  std::vector<Name> names;
  while (!c.AtEnd()) {
    c.AcceptWord("ONLY");
    Name name = c.AcceptName();
    if (name.empty()) break;
    names.push_back(name);
    c.AcceptSymbol("*");
    if (!c.AcceptSymbol(",")) break;
  }
  bool cascade = FindCascade(t_, c.pos(), end) != kNone;
  for (const Name& name : names) {
    if (!Fresh(name)) {
      Add(MigrationRule::kTruncate, name, TableQualifiers(name), "TRUNCATE",
          "removes every row of " + name.ToString());
    }
    if (cascade) AddCascade(name, TableQualifiers(name), "TRUNCATE");
  }
}

// DELETE FROM [ONLY] name ... without a WHERE outside parentheses.
void StatementClassifier::ClassifyDelete(size_t begin, size_t end) {
  Cursor c = At(begin + 1, end);
  if (!c.AcceptWord("FROM")) return;
  c.AcceptWord("ONLY");
  Name table = c.AcceptName();
  if (table.empty() || FindTopLevelWord(t_, c.pos(), end, "WHERE") != kNone) return;
  if (Fresh(table)) return;
  Add(MigrationRule::kDeleteWithoutWhere, table, TableQualifiers(table), "DELETE without WHERE",
      "deletes every row of " + table.ToString() + " (the statement has no WHERE clause)");
}

// UPDATE [OR x] [ONLY] name ... SET ... without a WHERE outside parentheses.
void StatementClassifier::ClassifyUpdate(size_t begin, size_t end) {
  Cursor c = At(begin + 1, end);
  if (c.AcceptWord("OR")) c.Skip();
  c.AcceptWord("ONLY");
  Name table = c.AcceptName();
  size_t set = FindTopLevelWord(t_, c.pos(), end, "SET");
  if (table.empty() || set == kNone) return;
  if (FindTopLevelWord(t_, set, end, "WHERE") != kNone) return;
  size_t id = tables_->Resolve(table);
  const TableIdentity& identity = tables_->at(id);
  if (identity.fresh()) return;
  std::vector<std::string> targets = UpdateTargets(set + 1, end);
  bool only_new_columns = !targets.empty();
  for (const std::string& column : targets) {
    if (identity.added_columns.count(column) == 0) only_new_columns = false;
  }
  if (only_new_columns) return;  // a backfill of columns this file added
  Add(MigrationRule::kUpdateWithoutWhere, table, TableQualifiers(table), "UPDATE without WHERE",
      "rewrites " +
          (targets.empty() ? std::string("columns") : "column(s) " + Join(targets, ", ")) +
          " in every row of " + table.ToString() + " (the statement has no WHERE clause)");
}

// The columns of SET a = 1, (b, c) = (...) up to FROM / WHERE / RETURNING.
std::vector<std::string> StatementClassifier::UpdateTargets(size_t begin, size_t end) {
  size_t stop = FindTopLevel(t_, begin, end, [](const SqlToken& t) {
    return IsWord(t, "FROM") || IsWord(t, "WHERE") || IsWord(t, "RETURNING") ||
           IsWord(t, "ORDER") || IsWord(t, "LIMIT");
  });
  if (stop == kNone) stop = end;
  std::vector<std::string> targets;
  for (Range r : SplitTopLevelCommas(t_, begin, stop)) {
    if (r.empty()) continue;
    size_t first = r.begin, last = r.begin + 1;
    if (IsSymbol(t_[first], "(")) {
      last = MatchParen(t_, first, r.end);
      ++first;
    }
    for (size_t i = first; i < last; ++i) {
      if (IsIdentifier(t_[i])) targets.push_back(Normalize(t_[i], dialect_));
    }
  }
  return targets;
}

// INSERT [OR x] INTO name [AS alias] [(cols)] SELECT ...: a fill.
void StatementClassifier::ClassifyInsert(size_t begin, size_t end) {
  Cursor c = At(begin + 1, end);
  if (c.AcceptWord("OR")) c.Skip();
  if (!c.AcceptWord("INTO")) return;
  Name target = c.AcceptName();
  if (target.empty()) return;
  if (c.AcceptWord("AS")) c.AcceptName();
  Fill fill;
  if (c.PeekSymbol("(") && !c.PeekWord("SELECT", 1)) {
    size_t close = MatchParen(t_, c.pos(), end);
    for (size_t i = c.pos() + 1; i < close; ++i) {
      if (IsIdentifier(t_[i])) fill.insert_columns.push_back(Normalize(t_[i], dialect_));
    }
    c.Skip(close - c.pos() + 1);
  }
  if (c.AcceptWord("OVERRIDING")) c.Skip(2);
  if (!c.PeekWord("SELECT")) return;
  fill.select = ParseSelect(t_, dialect_, c.pos(), end);
  AddFill(target, std::move(fill));
}

void StatementClassifier::AddFill(const Name& target, Fill fill) {
  if (!fill.select.valid || fill.select.from.empty()) return;
  fill.source = tables_->Resolve(fill.select.from);
  fill.line = line_;
  size_t id = tables_->Resolve(target);
  if (id == fill.source) return;
  tables_->at(id).fills.push_back(std::move(fill));
}

}  // namespace tether::migrate::classifier

#include "engine/migrate/statement_rules.h"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tether::migrate::classifier {

// CREATE [GLOBAL|LOCAL] [TEMP|TEMPORARY|UNLOGGED] TABLE ... and
// CREATE [UNIQUE] INDEX ...
void StatementClassifier::ClassifyCreate(size_t begin, size_t end) {
  Cursor c = At(begin + 1, end);
  for (std::string_view word : {"GLOBAL", "LOCAL", "TEMP", "TEMPORARY", "UNLOGGED"}) {
    c.AcceptWord(word);
  }
  if (c.AcceptWord("TABLE")) return ClassifyCreateTable(c, end);
  c.AcceptWord("UNIQUE");
  if (c.AcceptWord("INDEX")) return ClassifyCreateIndex(c);
}

void StatementClassifier::ClassifyCreateTable(Cursor c, size_t end) {
  bool if_not_exists = c.AcceptWords({"IF", "NOT", "EXISTS"});
  Name name = c.AcceptName();
  if (name.empty()) return;
  size_t id = tables_->Create(name, if_not_exists, line_);
  std::vector<std::string> columns;
  bool has_list = c.PeekSymbol("(");
  if (has_list) {
    size_t close = MatchParen(t_, c.pos(), end);
    columns = ColumnDefinitions(c.pos() + 1, close);
    c.Skip(close - c.pos() + 1);
  }
  size_t as = FindTopLevelWord(t_, c.pos(), end, "AS");
  if (as == kNone) {
    TableIdentity& table = tables_->at(id);
    table.columns_known = has_list;
    table.columns = columns;
    return;
  }
  // CREATE TABLE name [(a, b)] AS [(] SELECT ...
  size_t select = as + 1;
  while (select < end && IsSymbol(t_[select], "(")) ++select;
  Fill fill;
  fill.select = ParseSelect(t_, dialect_, select, end);
  fill.insert_columns = columns;
  AddFill(name, std::move(fill));
}

// The column names of a CREATE TABLE's list; table constraints skipped.
std::vector<std::string> StatementClassifier::ColumnDefinitions(size_t begin, size_t end) {
  static const std::string_view kConstraintWords[] = {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK",
                                                      "FOREIGN",    "EXCLUDE", "LIKE"};
  std::vector<std::string> columns;
  for (Range r : SplitTopLevelCommas(t_, begin, end)) {
    if (r.empty() || !IsIdentifier(t_[r.begin])) continue;
    bool constraint = false;
    for (std::string_view word : kConstraintWords) constraint |= IsWord(t_[r.begin], word);
    if (!constraint) columns.push_back(Normalize(t_[r.begin], dialect_));
  }
  return columns;
}

// [CONCURRENTLY] [[IF NOT EXISTS] name] ON [ONLY] table ...
void StatementClassifier::ClassifyCreateIndex(Cursor c) {
  bool concurrently = c.AcceptWord("CONCURRENTLY");
  Name index;
  if (!c.PeekWord("ON")) {
    c.AcceptWords({"IF", "NOT", "EXISTS"});
    index = c.AcceptName();
  }
  if (!c.AcceptWord("ON")) return;
  c.AcceptWord("ONLY");
  Name table = c.AcceptName();
  if (table.empty() || !IsPostgres()) return;
  std::string what = index.empty() ? "an index" : "index " + index.ToString();
  if (concurrently) {
    if (!facts_.runs_in_transaction) return;
    Add(MigrationRule::kIndexConcurrentlyInTransaction, table, TableQualifiers(table),
        "CREATE INDEX CONCURRENTLY",
        "PostgreSQL cannot build " + what + " on " + table.ToString() +
            " CONCURRENTLY inside a transaction, and this file runs in one; move the statement "
            "to a file of its own marked -- tether:no-transaction");
    return;
  }
  if (CreatedHere(table)) return;
  std::optional<bool> populated;
  if (facts_.table_has_rows) populated = facts_.table_has_rows(ToTableRef(table));
  size_t i =
      Add(MigrationRule::kIndexWithoutConcurrently, table, TableQualifiers(table), "CREATE INDEX",
          "builds " + what + " on " + table.ToString() +
              ", which has rows, without CONCURRENTLY: writes to " + table.ToString() +
              " wait until the build finishes; prefer CREATE INDEX CONCURRENTLY in a "
              "file of its own marked -- tether:no-transaction");
  (*out_)[i].emit = populated.value_or(false);
}

}  // namespace tether::migrate::classifier

#include "engine/migrate/statement_rules.h"

#include <optional>
#include <string>
#include <string_view>

namespace tether::migrate::classifier {

// ALTER TABLE [IF EXISTS] [ONLY] name [*] action [, action ...]
void StatementClassifier::ClassifyAlterTable(size_t begin, size_t end) {
  Cursor c = At(begin + 2, end);
  c.AcceptWords({"IF", "EXISTS"});
  c.AcceptWord("ONLY");
  Name table = c.AcceptName();
  if (table.empty()) return;
  c.AcceptSymbol("*");
  for (Range action : SplitTopLevelCommas(t_, c.pos(), end)) {
    if (!action.empty()) ClassifyAlterAction(table, action);
  }
}

void StatementClassifier::ClassifyAlterAction(const Name& table, Range r) {
  Cursor c = At(r.begin, r.end);
  Name object = table;
  if (c.AcceptWord("DROP")) {
    object = ClassifyDropColumn(table, c);
  } else if (c.AcceptWord("ALTER")) {
    object = ClassifyAlterColumn(table, c);
  } else if (c.AcceptWord("ADD")) {
    ClassifyAddColumn(table, c);
  } else if (c.AcceptWord("RENAME")) {
    ClassifyRename(table, c);
  }
  if (FindCascade(t_, r.begin, r.end) != kNone) {
    size_t qualifiers = TableQualifiers(table);
    AddCascade(object, qualifiers, "ALTER TABLE");
  }
}

// After DROP: [COLUMN] [IF EXISTS] c, or CONSTRAINT ... Returns the
// object for a CASCADE: the column, or the table.
Name StatementClassifier::ClassifyDropColumn(const Name& table, Cursor& c) {
  if (c.PeekWord("CONSTRAINT")) return table;
  c.AcceptWord("COLUMN");
  c.AcceptWords({"IF", "EXISTS"});
  Name column = c.AcceptName();
  if (column.empty()) return table;
  Name object = WithPart(table, column.last());
  if (Fresh(table)) return object;
  Add(MigrationRule::kDropColumn, object, TableQualifiers(table), "ALTER TABLE ... DROP COLUMN",
      "drops column " + object.ToString() + " and every value in it");
  return object;
}

// After ALTER: [COLUMN] c [SET DATA] TYPE t ...
Name StatementClassifier::ClassifyAlterColumn(const Name& table, Cursor& c) {
  if (c.PeekWord("CONSTRAINT")) return table;
  c.AcceptWord("COLUMN");
  Name column = c.AcceptName();
  if (column.empty()) return table;
  Name object = WithPart(table, column.last());
  c.AcceptWords({"SET", "DATA"});
  if (!c.AcceptWord("TYPE")) return object;
  size_t type_end = FindTopLevel(t_, c.pos(), c.end(), [](const SqlToken& t) {
    return IsWord(t, "USING") || IsWord(t, "COLLATE");
  });
  if (type_end == kNone) type_end = c.end();
  if (Fresh(table)) return object;
  Add(MigrationRule::kAlterColumnType, object, TableQualifiers(table),
      "ALTER TABLE ... ALTER COLUMN ... TYPE",
      "changes the type of column " + object.ToString() + " to " +
          TokensText(t_, c.pos(), type_end) +
          ": every value is converted (and may be truncated or rejected) while the table is "
          "rewritten under an exclusive lock");
  return object;
}

// After ADD: [COLUMN] [IF NOT EXISTS] c type constraints, or a table
// constraint.
void StatementClassifier::ClassifyAddColumn(const Name& table, Cursor& c) {
  static const std::string_view kConstraintWords[] = {"CONSTRAINT", "PRIMARY", "UNIQUE",
                                                      "CHECK",      "FOREIGN", "EXCLUDE"};
  bool column_keyword = c.AcceptWord("COLUMN");
  for (std::string_view word : kConstraintWords) {
    if (!column_keyword && c.PeekWord(word)) return;
  }
  c.AcceptWords({"IF", "NOT", "EXISTS"});
  Name column = c.AcceptName();
  if (column.empty()) return;
  size_t id = tables_->Resolve(table);
  tables_->at(id).added_columns.insert(column.last());
  if (tables_->at(id).fresh() || !NotNullWithoutDefault(c.pos(), c.end())) return;
  Name object = WithPart(table, column.last());
  size_t i =
      Add(MigrationRule::kAddNotNullWithoutDefault, object, TableQualifiers(table),
          "ALTER TABLE ... ADD COLUMN ... NOT NULL without DEFAULT",
          "adds column " + object.ToString() +
              " NOT NULL without a DEFAULT: it fails on a table with rows" +
              std::string(IsPostgres() ? "" : " (SQLite refuses it even on an empty table)") +
              "; give it a DEFAULT, or add it nullable, fill it, then make it NOT NULL");
  if (!IsPostgres() || !facts_.table_has_rows || tables_->at(id).created_here) return;
  std::optional<bool> populated = facts_.table_has_rows(ToTableRef(table));
  if (populated.has_value() && !*populated) (*out_)[i].emit = false;
}

// A column definition (after the name) that is NOT NULL or PRIMARY KEY
// and gets no value from DEFAULT, GENERATED, AS (...) or a serial type.
bool StatementClassifier::NotNullWithoutDefault(size_t begin, size_t end) {
  static const std::string_view kSerials[] = {"SERIAL",  "BIGSERIAL", "SMALLSERIAL",
                                              "SERIAL2", "SERIAL4",   "SERIAL8"};
  if (begin < end) {
    for (std::string_view serial : kSerials) {
      if (IsWord(t_[begin], serial)) return false;
    }
  }
  bool not_null = false;
  int depth = 0;
  for (size_t i = begin; i < end; ++i) {
    if (IsSymbol(t_[i], "(")) ++depth;
    if (IsSymbol(t_[i], ")")) --depth;
    if (depth != 0) continue;
    if (IsWord(t_[i], "DEFAULT") || IsWord(t_[i], "GENERATED") || IsWord(t_[i], "AS")) {
      return false;
    }
    if (i + 1 < end && ((IsWord(t_[i], "NOT") && IsWord(t_[i + 1], "NULL")) ||
                        (IsWord(t_[i], "PRIMARY") && IsWord(t_[i + 1], "KEY")))) {
      not_null = true;
    }
  }
  return not_null;
}

// After RENAME: TO new | [COLUMN] a TO b | CONSTRAINT a TO b
void StatementClassifier::ClassifyRename(const Name& table, Cursor& c) {
  if (c.PeekWord("CONSTRAINT")) return;
  if (c.AcceptWord("TO")) return ClassifyRenameTable(table, c.AcceptName());
  c.AcceptWord("COLUMN");
  Name column = c.AcceptName();
  if (column.empty() || !c.AcceptWord("TO")) return;
  Name to = c.AcceptName();
  if (Fresh(table)) return;
  Name object = WithPart(table, column.last());
  Add(MigrationRule::kRenameColumn, object, TableQualifiers(table),
      "ALTER TABLE ... RENAME COLUMN",
      "renames column " + object.ToString() + " to " + (to.empty() ? "?" : to.ToString()) +
          "; code and queries that still use the old name break, and the old name's data is "
          "no longer where they look");
}

void StatementClassifier::ClassifyRenameTable(const Name& table, Name to) {
  if (to.empty()) return;
  if (to.parts.size() == 1 && table.parts.size() > 1) {
    Name qualified = table;  // RENAME TO keeps the schema
    qualified.parts.back() = to.last();
    to = qualified;
  }
  size_t id = tables_->Resolve(table);
  bool fresh = tables_->at(id).fresh();
  tables_->Rename(id, to, line_);
  if (fresh) return;
  size_t index =
      Add(MigrationRule::kRenameTable, table, TableQualifiers(table), "ALTER TABLE ... RENAME TO",
          "renames table " + table.ToString() + " to " + to.ToString() +
              "; code and queries that still use the old name break");
  tables_->at(id).covered_by_rebuild.push_back(index);
}

}  // namespace tether::migrate::classifier

#include "engine/migrate/statement_rules.h"

#include <set>
#include <string>
#include <vector>

namespace tether::migrate::classifier {

// DROP <kind> [CONCURRENTLY] [IF EXISTS] name [, name ...] [CASCADE|RESTRICT]
void StatementClassifier::ClassifyDrop(size_t begin, size_t end) {
  static const std::set<std::string> kKindWords = {
      "TABLE",       "SCHEMA",       "DATABASE",   "EXTENSION", "TYPE",       "INDEX",
      "VIEW",        "MATERIALIZED", "SEQUENCE",   "FUNCTION",  "PROCEDURE",  "ROUTINE",
      "AGGREGATE",   "DOMAIN",       "TRIGGER",    "RULE",      "POLICY",     "FOREIGN",
      "SERVER",      "COLLATION",    "CONVERSION", "OPERATOR",  "CLASS",      "FAMILY",
      "PUBLICATION", "SUBSCRIPTION", "STATISTICS", "TEXT",      "SEARCH",     "CONFIGURATION",
      "DICTIONARY",  "PARSER",       "TEMPLATE",   "EVENT",     "LANGUAGE",   "PROCEDURAL",
      "TRANSFORM",   "CAST",         "ACCESS",     "METHOD",    "TABLESPACE", "DATA",
      "WRAPPER",     "TEMPORARY",    "TEMP",       "UNLOGGED"};
  Cursor c = At(begin + 1, end);
  std::vector<std::string> kind_words;
  while (!c.AtEnd() && t_[c.pos()].kind == SqlToken::Kind::kWord &&
         kKindWords.count(Upper(t_[c.pos()].text)) > 0) {
    kind_words.push_back(Upper(t_[c.pos()].text));
    c.Skip();
  }
  if (kind_words.empty()) return;
  std::string kind = Join(kind_words, " ");
  bool concurrently = c.AcceptWord("CONCURRENTLY");
  c.AcceptWords({"IF", "EXISTS"});
  std::vector<Name> names;
  while (!c.AtEnd()) {
    Name name = c.AcceptName();
    if (name.empty()) break;
    names.push_back(name);
    c.SkipParens();  // DROP FUNCTION f(int)
    if (!c.AcceptSymbol(",")) break;
  }
  bool cascade = FindCascade(t_, c.pos(), end) != kNone;
  std::string statement = "DROP " + kind;
  for (const Name& name : names) {
    ClassifyDropOf(kind, name, concurrently);
    if (cascade) AddCascade(name, TableQualifiers(name), statement);
  }
}

void StatementClassifier::ClassifyDropOf(const std::string& kind, const Name& name,
                                         bool concurrently) {
  std::string object = name.ToString();
  if (kind == "TABLE") return ClassifyDropTable(name);
  if (kind == "SCHEMA") {
    Add(MigrationRule::kDropSchema, name, 0, "DROP SCHEMA",
        "drops schema " + object + " with the tables and data in it");
    return;
  }
  if (kind == "DATABASE") {
    Add(MigrationRule::kDropDatabase, name, 0, "DROP DATABASE",
        "drops database " + object + " and everything in it");
    return;
  }
  if (kind == "EXTENSION") {
    Add(MigrationRule::kDropExtension, name, 0, "DROP EXTENSION",
        "drops extension " + object +
            " and the types, functions and operators it provides; columns and indexes that use "
            "them break or go with it");
    return;
  }
  if (kind == "TYPE") {
    Add(MigrationRule::kDropType, name, TableQualifiers(name), "DROP TYPE",
        "drops type " + object + "; columns of that type cannot keep their values");
    return;
  }
  if (kind == "INDEX" && concurrently && IsPostgres() && facts_.runs_in_transaction) {
    Add(MigrationRule::kIndexConcurrentlyInTransaction, name, TableQualifiers(name),
        "DROP INDEX CONCURRENTLY",
        "PostgreSQL cannot drop index " + object +
            " CONCURRENTLY inside a transaction, and this file runs in one; move the statement "
            "to a file of its own marked -- tether:no-transaction");
  }
}

void StatementClassifier::ClassifyDropTable(const Name& name) {
  size_t id = tables_->Resolve(name);
  TableIdentity& table = tables_->at(id);
  bool fresh = table.fresh();
  tables_->Drop(id, line_);
  if (fresh) return;
  size_t index = Add(MigrationRule::kDropTable, name, TableQualifiers(name), "DROP TABLE",
                     "drops table " + name.ToString() + " and every row in it");
  tables_->at(id).covered_by_rebuild.push_back(index);
}

}  // namespace tether::migrate::classifier

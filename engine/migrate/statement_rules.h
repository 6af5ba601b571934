// Internal to the migration classifier (migration_classifier.h): the rules
// that read one statement. StatementClassifier turns the tokens of one
// statement into candidate findings (findings.h) and tells the TableTracker
// what the statement does to tables. Its members live by statement family:
//   statement_rules.cc              dispatch, WITH, CASCADE no rule claimed
//   statement_rules_drop.cc         DROP <kind> ...
//   statement_rules_rows.cc         TRUNCATE, DELETE, UPDATE, INSERT ... SELECT
//   statement_rules_create.cc       CREATE TABLE, CREATE INDEX
//   statement_rules_alter_table.cc  ALTER TABLE and its actions
//
// Thread safety: none; one StatementClassifier per statement, on one thread.
#ifndef TETHER_ENGINE_MIGRATE_STATEMENT_RULES_H_
#define TETHER_ENGINE_MIGRATE_STATEMENT_RULES_H_

#include <cstddef>
#include <string>
#include <vector>

#include "engine/migrate/findings.h"
#include "engine/migrate/migration_classifier.h"
#include "engine/migrate/sql_tokens.h"
#include "engine/migrate/table_tracker.h"

namespace tether::migrate::classifier {

// One statement: Run() appends its candidate findings to `out` and records in
// `tables` what it does to them.
class StatementClassifier {
 public:
  StatementClassifier(const Tokens& tokens, const SqlStatement& statement, SqlDialect dialect,
                      const MigrationFacts& facts, TableTracker* tables,
                      std::vector<Candidate>* out)
      : t_(tokens),
        line_(statement.line),
        dialect_(dialect),
        facts_(facts),
        tables_(tables),
        out_(out) {}

  void Run() {
    if (t_.empty()) return;
    ClassifyRange(0, t_.size());
    ReportUnclaimedCascade();
  }

 private:
  bool IsPostgres() const { return dialect_ == SqlDialect::kPostgres; }

  Cursor At(size_t begin, size_t end) const { return Cursor(t_, dialect_, begin, end); }

  size_t Add(MigrationRule rule, const Name& object, size_t qualifiers, std::string statement,
             std::string consequence);
  void AddCascade(const Name& object, size_t qualifiers, const std::string& statement);

  bool Fresh(const Name& table) { return tables_->at(tables_->Resolve(table)).fresh(); }

  // Created by this file, filled or not: no other session sees it yet.
  bool CreatedHere(const Name& table) { return tables_->at(tables_->Resolve(table)).created_here; }

  // statement_rules.cc
  void ClassifyRange(size_t begin, size_t end);
  void ReportUnclaimedCascade();
  void ClassifyWith(size_t begin, size_t end);

  // statement_rules_drop.cc
  void ClassifyDrop(size_t begin, size_t end);
  void ClassifyDropOf(const std::string& kind, const Name& name, bool concurrently);
  void ClassifyDropTable(const Name& name);

  // statement_rules_rows.cc
  void ClassifyTruncate(size_t begin, size_t end);
  void ClassifyDelete(size_t begin, size_t end);
  void ClassifyUpdate(size_t begin, size_t end);
  std::vector<std::string> UpdateTargets(size_t begin, size_t end);
  void ClassifyInsert(size_t begin, size_t end);
  void AddFill(const Name& target, Fill fill);

  // statement_rules_create.cc
  void ClassifyCreate(size_t begin, size_t end);
  void ClassifyCreateTable(Cursor c, size_t end);
  std::vector<std::string> ColumnDefinitions(size_t begin, size_t end);
  void ClassifyCreateIndex(Cursor c);

  // statement_rules_alter_table.cc
  void ClassifyAlterTable(size_t begin, size_t end);
  void ClassifyAlterAction(const Name& table, Range r);
  Name ClassifyDropColumn(const Name& table, Cursor& c);
  Name ClassifyAlterColumn(const Name& table, Cursor& c);
  void ClassifyAddColumn(const Name& table, Cursor& c);
  bool NotNullWithoutDefault(size_t begin, size_t end);
  void ClassifyRename(const Name& table, Cursor& c);
  void ClassifyRenameTable(const Name& table, Name to);

  const Tokens& t_;
  int line_;
  SqlDialect dialect_;
  const MigrationFacts& facts_;
  TableTracker* tables_;
  std::vector<Candidate>* out_;
  bool cascade_claimed_ = false;
};

}  // namespace tether::migrate::classifier

#endif  // TETHER_ENGINE_MIGRATE_STATEMENT_RULES_H_

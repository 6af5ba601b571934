#include "engine/migrate/migration_classifier.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "engine/migrate/acknowledgements.h"
#include "engine/migrate/findings.h"
#include "engine/migrate/rebuild_detection.h"
#include "engine/migrate/sql_tokens.h"
#include "engine/migrate/statement_rules.h"
#include "engine/migrate/table_tracker.h"

// The classifier in parts, each in a file of its own (internal headers):
//   findings          the rules' catalog; a finding before acknowledgement
//   sql_tokens        names and token navigation over one statement
//   select_list       the SELECT list of a copy
//   table_tracker     tables through the file: created, filled, renamed, dropped
//   statement_rules*  the rules that read one statement, by statement family
//   rebuild_detection the table rebuild, found after all statements
//   acknowledgements  the file's -- tether: directives: lines, reading, matching
// This file runs them over one file.

namespace tether::migrate {
namespace {

using classifier::Acknowledgement;
using classifier::Candidate;
using classifier::DirectiveFinding;
using classifier::DirectiveLocation;
using classifier::FindRebuilds;
using classifier::LocateFromStatements;
using classifier::LocateInText;
using classifier::Matches;
using classifier::ReadDirectives;
using classifier::StatementClassifier;
using classifier::TableTracker;
using classifier::Tokens;
using classifier::ToFinding;
using classifier::Where;

tether::Result<MigrationClassification> Classify(const SqlScript& script, SqlDialect dialect,
                                                 const std::string& file,
                                                 const MigrationFacts& facts,
                                                 const std::vector<DirectiveLocation>& locations) {
  std::vector<Candidate> candidates;
  TableTracker tables(dialect);
  for (const SqlStatement& statement : script.statements) {
    Result<Tokens> tokens = TokenizeSql(statement.text, dialect);
    if (!tokens.ok()) {
      return Status::InvalidArgument(file + ":" + std::to_string(statement.line) + ": " +
                                     tokens.status().message());
    }
    StatementClassifier(*tokens, statement, dialect, facts, &tables, &candidates).Run();
  }
  FindRebuilds(tables, dialect, facts, &candidates);

  MigrationClassification result;
  std::vector<Acknowledgement> acks;
  ReadDirectives(script.file_directives, locations, dialect, file, &acks, &result.findings);
  for (const Candidate& c : candidates) {
    bool acknowledged = false;
    for (Acknowledgement& ack : acks) {
      if (!Matches(ack, c)) continue;
      ack.used = true;
      acknowledged = true;
    }
    if (!c.emit || c.covered) continue;
    MigrationFinding f = ToFinding(c, file);
    f.acknowledged = acknowledged;
    result.findings.push_back(std::move(f));
  }
  for (const Acknowledgement& ack : acks) {
    // protected-change is the runner's to check (see protected_columns.h).
    if (ack.used || ack.rule == MigrationRule::kProtectedChange) continue;
    result.findings.push_back(DirectiveFinding(
        MigrationRule::kUnusedAcknowledgement, ack.text, ack.at,
        Where(file, ack.at) + ": unused acknowledgement \"-- " + ack.text +
            "\": no statement of this file does " + std::string(MigrationRuleId(ack.rule)) +
            " on that object. Check the rule and the object for a typo (the object is written as "
            "the statement names it: table or table.column), or remove the line."));
  }
  std::stable_sort(
      result.findings.begin(), result.findings.end(),
      [](const MigrationFinding& a, const MigrationFinding& b) { return a.line < b.line; });
  for (const MigrationFinding& f : result.findings) {
    if (f.severity == FindingSeverity::kRefused && !f.acknowledged) result.refused = true;
  }
  return result;
}

}  // namespace

tether::Result<MigrationClassification> ClassifyMigration(const SqlScript& script,
                                                          SqlDialect dialect,
                                                          const std::string& file_name,
                                                          const MigrationFacts& facts) {
  return Classify(script, dialect, file_name, facts, LocateFromStatements(script));
}

tether::Result<MigrationClassification> ClassifyMigrationSql(std::string_view sql,
                                                             SqlDialect dialect,
                                                             const std::string& file_name,
                                                             const MigrationFacts& facts) {
  Result<SqlScript> script = SplitSqlScript(sql, dialect, file_name);
  if (!script.ok()) return script.status();
  return Classify(*script, dialect, file_name, facts, LocateInText(sql, script->file_directives));
}

tether::Status RefusalStatus(const MigrationClassification& classification,
                             const std::string& file_name) {
  if (!classification.refused) return Status::Ok();
  std::string message = file_name + ": refused";
  for (const MigrationFinding& f : classification.findings) {
    if (f.severity != FindingSeverity::kRefused || f.acknowledged) continue;
    message += "\n  " + f.message;
  }
  return Status::DataLoss(message);
}

}  // namespace tether::migrate

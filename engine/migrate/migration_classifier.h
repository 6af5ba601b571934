// The migration safety classifier: reads one migration file, statement by
// statement, and says which statements could lose data or lock a busy
// table, before anything runs.
//
// Why: a convenience schema push once came one command away from dropping
// the column that held every embedding. Tether refuses such a statement
// unless the file acknowledges exactly that change on exactly that object:
//
//   -- tether:allow drop-column documents.legacy_col
//   ALTER TABLE documents DROP COLUMN legacy_col;
//
// There is no global switch that accepts data loss: every acknowledgement
// names one rule and one object, and an acknowledgement that matches nothing
// is reported, so that a typo cannot silently let the real change through.
//
// How the runner uses it: for each pending file, SplitSqlScript (or let
// ClassifyMigrationSql do it), gather MigrationFacts from the live database,
// classify, print every finding, and stop before the file runs when
// MigrationClassification::refused (RefusalStatus gives the error).
//
// What the classifier understands (everything else is not a finding: CREATE
// TABLE, INSERT, UPDATE/DELETE with a WHERE clause, CREATE VIEW, ...):
//   drop-table                DROP TABLE t [, ...]
//   drop-schema               DROP SCHEMA s
//   drop-database             DROP DATABASE d
//   drop-extension            DROP EXTENSION e
//   drop-type                 DROP TYPE t
//   drop-column               ALTER TABLE t DROP [COLUMN] [IF EXISTS] c
//   rename-table              ALTER TABLE t RENAME TO u             (object t)
//   rename-column             ALTER TABLE t RENAME [COLUMN] c TO d  (object t.c)
//   alter-column-type         ALTER TABLE t ALTER [COLUMN] c [SET DATA] TYPE x
//   truncate                  TRUNCATE [TABLE] t [, ...]
//   delete-without-where      DELETE FROM t with no WHERE clause
//   update-without-where      UPDATE t SET ... with no WHERE clause, unless
//                             every column it sets was added by this file
//                             (a backfill of a new column rewrites nothing)
//   cascade                   CASCADE anywhere except a foreign key's
//                             ON DELETE / ON UPDATE CASCADE action (see below)
//   table-rebuild             a table copied into another one (INSERT INTO
//                             new SELECT ... FROM old, or CREATE TABLE new AS
//                             SELECT ... FROM old), the old one dropped and the
//                             new one renamed to the old name, in either
//                             order. One finding on the old table; it covers
//                             that DROP TABLE and those RENAMEs.
//   add-not-null-without-default
//                             ALTER TABLE t ADD [COLUMN] c type NOT NULL (or
//                             PRIMARY KEY) without DEFAULT, GENERATED or a
//                             serial type
//   index-concurrently-in-transaction (PostgreSQL)
//                             CREATE / DROP INDEX CONCURRENTLY in a file that
//                             runs inside a transaction
//   index-without-concurrently (PostgreSQL, warning)
//                             CREATE INDEX without CONCURRENTLY on a table
//                             that MigrationFacts::table_has_rows says is
//                             populated (no finding when it is unknown)
// Every rule is kRefused except index-without-concurrently (kWarning).
//
// Decisions:
//   - A foreign key's ON DELETE CASCADE / ON UPDATE CASCADE (in CREATE TABLE
//     or ALTER TABLE ... ADD) is not a finding: it deletes nothing while the
//     migration runs; it only describes what later deletes do.
//   - A table created by this same file (CREATE TABLE without IF NOT EXISTS)
//     and not filled from another table (INSERT ... SELECT ... FROM, CREATE
//     TABLE ... AS SELECT) holds nothing anyone could lose: dropping or
//     renaming it, dropping, renaming or retyping its columns, emptying it,
//     adding NOT NULL columns to it and indexing it are not findings.
//     CASCADE still is. A table filled from another one is a copy of
//     existing data and gets every finding (a rebuild covers its RENAME),
//     except index-without-concurrently: no other session sees a table
//     before the file commits, so an index on it blocks nobody.
//   - A WHERE clause is taken as intent, whatever it says (WHERE true too).
//   - Statements inside a SQLite trigger body or a PostgreSQL function body
//     run later, not during the migration; they are not findings.
//   - Object names: unquoted identifiers are case-insensitive (compared in
//     lower case); on PostgreSQL a quoted identifier keeps its case, on
//     SQLite every identifier is case-insensitive, quoted or not (as SQLite
//     itself compares them). A finding's object is written as the statement
//     names it, schema included: "documents.legacy_col",
//     "public.documents.legacy_col", "\"Documents\".legacy_col".
//
// Acknowledgements: a line comment `-- tether:allow <rule> <object>`
// anywhere in the file (outside strings) acknowledges every finding of that
// rule on that object in the file. The object may be written with or
// without the schema the statement used (`documents.legacy_col` matches
// `ALTER TABLE public.documents DROP COLUMN legacy_col`), but not with a
// schema the statement did not name. An acknowledged finding stays in the
// result, marked acknowledged. Reported as findings themselves:
//   unused-acknowledgement    (kWarning) an acknowledgement no finding matches
//   invalid-acknowledgement   (kRefused) unknown rule, missing or malformed
//                             object, wildcard, extra words
//   unknown-directive         (kWarning) a `-- tether:<word>` that is neither
//                             allow nor a directive of the runner
//                             (kRunnerDirectives)
// These three cannot be acknowledged.
//
// Thread safety: the functions here are pure apart from calling the
// callbacks in MigrationFacts, which they do synchronously on the calling
// thread; call them from any thread concurrently as long as the callbacks
// allow it.
// Ownership: results own their strings; nothing refers back into the input.
// Errors: InvalidArgument when a statement cannot be tokenized (it did not
// come from SplitSqlScript) or the file cannot be split, naming the file and
// line. A migration that is refused is not an error of these functions: it
// is a result with refused == true (RefusalStatus turns it into a Status).
// Nothing here throws except std::bad_alloc and what the callbacks throw.
#ifndef TETHER_ENGINE_MIGRATE_MIGRATION_CLASSIFIER_H_
#define TETHER_ENGINE_MIGRATE_MIGRATION_CLASSIFIER_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/migrate/sql_script.h"
#include "tether/status.h"

namespace tether::migrate {

enum class FindingSeverity {
  kRefused,  // the file does not run unless the finding is acknowledged
  kWarning,  // printed; the file runs
};

// The rules. Each has a stable id (MigrationRuleId), used in
// acknowledgements, in JSON output and in the documentation.
enum class MigrationRule {
  kDropTable,                       // "drop-table"
  kDropSchema,                      // "drop-schema"
  kDropDatabase,                    // "drop-database"
  kDropExtension,                   // "drop-extension"
  kDropType,                        // "drop-type"
  kDropColumn,                      // "drop-column"
  kRenameTable,                     // "rename-table"
  kRenameColumn,                    // "rename-column"
  kAlterColumnType,                 // "alter-column-type"
  kTruncate,                        // "truncate"
  kDeleteWithoutWhere,              // "delete-without-where"
  kUpdateWithoutWhere,              // "update-without-where"
  kCascade,                         // "cascade"
  kTableRebuild,                    // "table-rebuild"
  kAddNotNullWithoutDefault,        // "add-not-null-without-default"
  kIndexConcurrentlyInTransaction,  // "index-concurrently-in-transaction"
  kIndexWithoutConcurrently,        // "index-without-concurrently"
  // Never a finding of the classifier: the runner's protected-column check
  // (protected_columns.h) reads these acknowledgements and reports their use.
  kProtectedChange,                 // "protected-change"
  // About the acknowledgements themselves; not acknowledgeable.
  kUnusedAcknowledgement,   // "unused-acknowledgement"
  kInvalidAcknowledgement,  // "invalid-acknowledgement"
  kUnknownDirective,        // "unknown-directive"
};

// The stable id of `rule`, e.g. "drop-column".
std::string_view MigrationRuleId(MigrationRule rule);

// The rule whose id is `id` (exact, lower case) among the rules a file may
// acknowledge; nullopt for anything else, including the three rules about
// acknowledgements.
std::optional<MigrationRule> ParseAcknowledgeableRule(std::string_view id);

// "refused" or "warning".
std::string_view FindingSeverityName(FindingSeverity severity);

// The `-- tether:<word>` directives that belong to the migrations runner
// rather than to the classifier; any other word but "allow" is reported as
// unknown-directive. Add a directive here when the runner learns one.
inline constexpr std::string_view kRunnerDirectives[] = {"no-transaction"};

struct MigrationFinding {
  FindingSeverity severity = FindingSeverity::kRefused;
  MigrationRule rule = MigrationRule::kDropTable;
  // What the statement touches, written as an acknowledgement names it:
  // "documents", "documents.legacy_col", "public.documents". For the rules
  // about acknowledgements: the directive's text after "tether:".
  std::string object;
  // 1-based line in the file: of the statement's first token; for
  // table-rebuild, of the DROP TABLE; for the rules about acknowledgements,
  // of the directive (0 when unknown, see ClassifyMigration).
  int line = 0;
  // The kind of statement, for people: "ALTER TABLE ... DROP COLUMN".
  std::string statement;
  // One paragraph naming the file, line, statement kind and object, what
  // would happen, and the directive that acknowledges it.
  std::string message;
  bool acknowledged = false;
};

struct MigrationClassification {
  // In file order (by line, then by position in the statement).
  std::vector<MigrationFinding> findings;
  // True when a kRefused finding is not acknowledged: the file must not run.
  bool refused = false;
};

// A table as a statement names it. Unquoted identifiers are lower-cased;
// quoted ones keep their case on PostgreSQL. `schema` is empty when the
// statement did not name one (the search_path, or SQLite's main, decides).
struct TableRef {
  std::string schema;
  std::string name;
};

// What the runner knows about the live database. Every member is optional;
// a missing answer is "unknown", and unknown never produces a finding.
struct MigrationFacts {
  // Whether the file runs inside a transaction (false for a file marked
  // -- tether:no-transaction).
  bool runs_in_transaction = true;
  // Whether `table` currently holds at least one row; nullopt when unknown.
  // Asked only on PostgreSQL, for CREATE INDEX without CONCURRENTLY and for
  // ADD COLUMN ... NOT NULL (an empty table takes it without harm), and
  // never about a table the file itself creates.
  std::function<std::optional<bool>(const TableRef& table)> table_has_rows;
  // The column names of `table` as they are now; nullopt when unknown.
  // Asked for the old table of a table rebuild, to name the columns the
  // copy leaves behind.
  std::function<std::optional<std::vector<std::string>>(const TableRef& table)> table_columns;
};

// Classifies `script`, the statements of the file `file_name` (used in
// messages only), written in `dialect`. Acknowledgements are read from
// script.file_directives. Without the file's text the line of a directive
// is known only for one on its own line right before a statement (the
// finding then carries that statement's line and says "above line N");
// otherwise it is 0. Prefer ClassifyMigrationSql when the text is at hand.
tether::Result<MigrationClassification> ClassifyMigration(const SqlScript& script,
                                                          SqlDialect dialect,
                                                          const std::string& file_name,
                                                          const MigrationFacts& facts = {});

// Splits `sql` (the whole file) with SplitSqlScript and classifies it, with
// the exact line of every directive.
tether::Result<MigrationClassification> ClassifyMigrationSql(std::string_view sql,
                                                             SqlDialect dialect,
                                                             const std::string& file_name,
                                                             const MigrationFacts& facts = {});

// OK when `classification` is not refused; otherwise DataLoss whose message
// says "<file>: refused" and lists the message of every unacknowledged
// kRefused finding, one per line.
tether::Status RefusalStatus(const MigrationClassification& classification,
                             const std::string& file_name);

}  // namespace tether::migrate

#endif  // TETHER_ENGINE_MIGRATE_MIGRATION_CLASSIFIER_H_

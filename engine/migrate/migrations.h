// Schema migrations: versioned SQL files, migrations/<dialect>/NNNN_what.sql,
// applied in version order, one transaction per file, each recorded in
// schema_migrations with the SHA-256 of the file. A file that changed after
// it was applied stops everything: the database no longer matches the code.
//
// Thread safety: a Migrator uses its Database from one thread. Two processes
// may apply at once and each file still runs once: on PostgreSQL migrators
// take a session-level advisory lock (polled, with a timeout) on a
// connection of their own before reading the history; on SQLite each file
// runs under BEGIN IMMEDIATE after re-reading the history. PostgreSQL
// migrations always run with lock_timeout and statement_timeout set.
//
// Errors: InvalidArgument for a badly named or unparsable file (naming it and
// the line), DataLoss for an applied file that changed or disappeared,
// Internal for a statement the database refused (naming file and line).
#ifndef TETHER_ENGINE_MIGRATE_MIGRATIONS_H_
#define TETHER_ENGINE_MIGRATE_MIGRATIONS_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/db/database.h"
#include "engine/migrate/migration_classifier.h"
#include "engine/migrate/protected_columns.h"
#include "engine/migrate/sql_script.h"
#include "tether/status.h"

namespace tether::migrate {

struct Migration {
  std::string version;      // "0001": digits, compared numerically
  std::string name;         // file name, "0001_initial.sql"
  std::filesystem::path file;
  std::string checksum;     // SHA-256 of the file's bytes
  std::string sql;
};

struct MigrationState {
  Migration migration;
  bool applied = false;
  bool changed = false;     // applied, and the file's checksum differs now
  std::string applied_at;   // empty when pending
};

// Reads the migrations of `dialect` from each root in `roots` (a root holds
// one folder per dialect: sqlite/, postgres/). Roots without that folder are
// skipped. Versions must be unique across roots.
Result<std::vector<Migration>> LoadMigrations(const std::vector<std::filesystem::path>& roots,
                                              db::Dialect dialect);

// Whether the database's history (schema_migrations) lists exactly the
// migration files of its dialect in `roots`, by version and file name: the
// check of every command that uses the database, made without reading or
// hashing a file (a directory listing and one query). False, not an error,
// when anything differs or there is no history yet: the caller then makes
// the full check (Migrator::Status). A file edited after it was applied is
// seen only by that full check, which `tether migrate status`, `migrate
// apply` and `tether doctor` make; a migration run keeps every check it
// has.
Result<bool> HistoryMatchesFiles(db::Database* db, const std::vector<std::filesystem::path>& roots);

class Migrator {
 public:
  // `db` must outlive the Migrator. Each migration is checked against the
  // `protected_columns` (see protected_columns.h): a change to them that the
  // file does not acknowledge with `-- tether:allow protected-change
  // table.column` rolls it back with DataLoss.
  Migrator(db::Database* db, std::vector<Migration> migrations, std::vector<ProtectedColumn> protected_columns = {});

  // Every known migration with its state, plus applied versions whose file
  // is gone (reported as DataLoss by Apply).
  Result<std::vector<MigrationState>> Status();

  // A pending migration with what the safety classifier found in it
  // (migration_classifier.h), judged against the live database.
  struct PlannedMigration {
    Migration migration;
    std::vector<SqlStatement> statements;
    bool no_transaction = false;
    MigrationClassification classification;
  };
  Result<std::vector<PlannedMigration>> Plan();

  // Applies every pending migration in order; returns the names applied (by
  // this call; files another process applied meanwhile are skipped). Before
  // anything runs, every pending file is classified: if any is refused,
  // nothing is applied (DataLoss listing every refusal). Stops at the first
  // failure, leaving that file's changes rolled back.
  Result<std::vector<std::string>> Apply();

  // The warnings (classifier findings that do not refuse) of the files the
  // last Apply ran, one message each.
  const std::vector<std::string>& warnings() const { return warnings_; }

  // The migrations this migrator knows, in order.
  const std::vector<Migration>& migrations() const { return migrations_; }

  // Protected data now against the evidence the last migration recorded.
  struct VerifyReport {
    std::string against;                   // migration whose evidence was used; "" if none has any
    std::string against_applied_at;        // when it was applied
    std::vector<ColumnFingerprint> now;
    std::vector<FingerprintDifference> differences;  // empty when all match
  };
  Result<VerifyReport> Verify();

  static constexpr int kLockTimeoutSeconds = 120;

 private:
  tether::Status EnsureHistoryTable();
  tether::Status CheckHistory(const std::vector<MigrationState>& states);
  tether::Status ApplyOne(const Migration& migration, bool* applied_now);
  // A file marked -- tether:no-transaction: statement by statement, each
  // recorded once it ran, so that a stopped run resumes at the next one.
  tether::Status ApplyWithoutTransaction(const Migration& migration, const SqlScript& script, bool* applied_now);

  db::Database* db_;
  std::vector<Migration> migrations_;
  std::vector<ProtectedColumn> protected_columns_;
  std::vector<std::string> warnings_;
};

}  // namespace tether::migrate

#endif  // TETHER_ENGINE_MIGRATE_MIGRATIONS_H_

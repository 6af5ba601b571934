#include "engine/migrate/migrations.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <cctype>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <soci/soci.h>

#include "shared/clock.h"
#include "engine/common/sha256.h"
#include "shared/row_values.h"
#include "engine/migrate/sql_script.h"

namespace tether::migrate {

using db::Database;
using db::Dialect;
using db::DialectName;
using db::RowInt;
using db::StatusFromCurrentException;

namespace {

SqlDialect ToSqlDialect(Dialect dialect) {
  return dialect == Dialect::kSqlite ? SqlDialect::kSqlite : SqlDialect::kPostgres;
}

struct AppliedRow {
  std::string name;
  std::string checksum;
  std::string applied_at;
};

bool VersionLess(const std::string& a, const std::string& b) {
  // Numeric order without overflow: shorter digit strings (after leading
  // zeros) are smaller.
  auto strip = [](const std::string& v) {
    size_t i = v.find_first_not_of('0');
    return i == std::string::npos ? std::string("0") : v.substr(i);
  };
  std::string x = strip(a), y = strip(b);
  if (x.size() != y.size()) return x.size() < y.size();
  return x < y;
}

std::string CanonicalVersion(const std::string& v) {
  size_t i = v.find_first_not_of('0');
  return i == std::string::npos ? std::string("0") : v.substr(i);
}

// The protected columns a file acknowledges changing, from its
// `-- tether:allow protected-change table.column` directives.
std::set<std::string> AcknowledgedProtectedChanges(const std::vector<std::string>& directives) {
  static const std::string kPrefix = "tether:allow protected-change ";
  std::set<std::string> acknowledged;
  for (const std::string& d : directives) {
    if (d.compare(0, kPrefix.size(), kPrefix) != 0) continue;
    std::string object = d.substr(kPrefix.size());
    while (!object.empty() && std::isspace(static_cast<unsigned char>(object.back()))) object.pop_back();
    acknowledged.insert(object);
  }
  return acknowledged;
}

tether::Status CheckProtectedData(const Migration& migration, const std::vector<std::string>& directives,
                                  const std::vector<ColumnFingerprint>& before,
                                  const std::vector<ColumnFingerprint>& after) {
  std::set<std::string> acknowledged = AcknowledgedProtectedChanges(directives);
  std::string problems;
  std::string first_column;
  for (size_t i = 0; i < before.size() && i < after.size(); ++i) {
    if (acknowledged.count(after[i].Name()) > 0) continue;
    for (const FingerprintDifference& difference : Compare(before[i], after[i])) {
      problems += "\n  " + difference.text;
      if (first_column.empty()) first_column = after[i].Name();
    }
  }
  if (problems.empty()) return tether::Status::Ok();
  return tether::Status::DataLoss(
      "migration " + migration.name + " changes protected data; it was rolled back and nothing changed:" + problems +
      "\nIf this is on purpose, say so in the file: -- tether:allow protected-change " + first_column);
}

bool HasDirective(const SqlScript& script, const std::string& directive) {
  for (const std::string& d : script.file_directives) {
    if (d == directive) return true;
  }
  return false;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Whether a statement cannot run inside a transaction block.
bool NeedsNoTransaction(const std::vector<SqlToken>& tokens, Dialect dialect) {
  std::vector<std::string> words;
  for (const SqlToken& t : tokens) {
    if (t.kind == SqlToken::Kind::kWord) words.push_back(Upper(t.text));
  }
  auto has = [&](const char* word) { return std::find(words.begin(), words.end(), word) != words.end(); };
  if (words.empty()) return false;
  if (words[0] == "VACUUM") return true;
  if (dialect == Dialect::kSqlite) return false;
  if ((words[0] == "CREATE" || words[0] == "DROP" || words[0] == "REINDEX") && has("INDEX") && has("CONCURRENTLY")) {
    return true;
  }
  if (words[0] == "REINDEX" && has("CONCURRENTLY")) return true;
  if (words[0] == "ALTER" && words.size() > 1 && words[1] == "SYSTEM") return true;
  if (words[0] == "CREATE" && words.size() > 1 && (words[1] == "DATABASE" || words[1] == "TABLESPACE")) return true;
  return false;
}

// `-- tether:no-transaction` gives up atomicity, so it is allowed only when
// every statement of the file requires it.
tether::Status CheckAllNeedNoTransaction(const Migration& migration, const SqlScript& script, Dialect dialect) {
  for (const SqlStatement& statement : script.statements) {
    Result<std::vector<SqlToken>> tokens = TokenizeSql(statement.text, ToSqlDialect(dialect));
    if (!tokens.ok()) return tokens.status();
    if (!NeedsNoTransaction(*tokens, dialect)) {
      return tether::Status::InvalidArgument(
          migration.file.string() + ":" + std::to_string(statement.line) +
          ": -- tether:no-transaction is allowed only when every statement must run outside a transaction"
          " (CREATE INDEX CONCURRENTLY, VACUUM, ...); this one need not: move it to another file");
    }
  }
  return tether::Status::Ok();
}


}  // namespace

Result<std::vector<Migration>> LoadMigrations(const std::vector<std::filesystem::path>& roots,
                                              Dialect dialect) {
  static const std::regex kName(R"(^([0-9]{4,})_([a-z0-9_]+)\.sql$)");
  std::vector<Migration> migrations;
  std::map<std::string, std::filesystem::path> seen;  // canonical version -> file
  for (const std::filesystem::path& root : roots) {
    std::filesystem::path dir = root / DialectName(dialect);
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) continue;
    for (const auto& item : std::filesystem::directory_iterator(dir, ec)) {
      if (!item.is_regular_file() || item.path().extension() != ".sql") continue;
      std::string name = item.path().filename().string();
      std::smatch match;
      if (!std::regex_match(name, match, kName)) {
        return Status::InvalidArgument("migration file " + item.path().string() +
                                       " is not named NNNN_description.sql (digits, '_', lower-case a-z, 0-9, '_')");
      }
      Migration m;
      m.version = match[1];
      m.name = name;
      m.file = item.path();
      std::ifstream in(item.path(), std::ios::binary);
      std::stringstream buffer;
      buffer << in.rdbuf();
      if (!in.good() && !in.eof()) return Status::Unavailable("cannot read " + item.path().string());
      m.sql = buffer.str();
      m.checksum = Sha256Hex(m.sql);
      auto [it, inserted] = seen.emplace(CanonicalVersion(m.version), m.file);
      if (!inserted) {
        return Status::InvalidArgument("migration version " + m.version + " appears twice: " +
                                       it->second.string() + " and " + m.file.string());
      }
      migrations.push_back(std::move(m));
    }
    if (ec) return Status::Unavailable("cannot list " + dir.string() + ": " + ec.message());
  }
  std::sort(migrations.begin(), migrations.end(),
            [](const Migration& a, const Migration& b) { return VersionLess(a.version, b.version); });
  return migrations;
}

Migrator::Migrator(Database* db, std::vector<Migration> migrations, std::vector<ProtectedColumn> protected_columns)
    : db_(db), migrations_(std::move(migrations)), protected_columns_(std::move(protected_columns)) {}

namespace {

// Counts rows of a catalog query; throws on a database error.
int CountOf(Database* db, const std::string& sql) {
  int count = 0;
  db->session() << sql, soci::into(count);
  return count;
}

Result<bool> HistoryTableExists(Database* db) {
  try {
    return CountOf(db, db->dialect() == Dialect::kSqlite
                           ? "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
                           : "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()"
                             " AND table_name = 'schema_migrations'") > 0;
  } catch (...) {
    return StatusFromCurrentException("cannot look for schema_migrations");
  }
}

}  // namespace

// Creates or upgrades the history table. Only Apply calls it: reading the
// state needs no more than the privileges the engine's own role has.
tether::Status Migrator::EnsureHistoryTable() {
  Result<bool> exists = HistoryTableExists(db_);
  if (!exists.ok()) return exists.status();
  if (!*exists) {
    TETHER_RETURN_IF_ERROR(db_->Execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version TEXT PRIMARY KEY,"
        " name TEXT NOT NULL,"
        " checksum TEXT NOT NULL,"
        " applied_at TEXT NOT NULL,"
        " execution_ms BIGINT NOT NULL,"
        " evidence TEXT)",
        "cannot create schema_migrations"));
  }
  // Statements of a -- tether:no-transaction file that have run, so that a
  // file stopped half-way resumes exactly where it stopped.
  TETHER_RETURN_IF_ERROR(db_->Execute(
      "CREATE TABLE IF NOT EXISTS schema_migration_progress ("
      " version TEXT NOT NULL,"
      " statement_index INTEGER NOT NULL,"
      " statement_sha256 TEXT NOT NULL,"
      " executed_at TEXT NOT NULL,"
      " PRIMARY KEY (version, statement_index))",
      "cannot create schema_migration_progress"));
  // The history table of an earlier Tether had no evidence column.
  int has_evidence = 0;
  try {
    has_evidence = CountOf(db_, db_->dialect() == Dialect::kSqlite
                                    ? "SELECT COUNT(*) FROM pragma_table_info('schema_migrations') WHERE name = 'evidence'"
                                    : "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema()"
                                      " AND table_name = 'schema_migrations' AND column_name = 'evidence'");
  } catch (...) {
    return StatusFromCurrentException("cannot read schema_migrations");
  }
  if (has_evidence > 0) return tether::Status::Ok();
  return db_->Execute("ALTER TABLE schema_migrations ADD COLUMN evidence TEXT", "cannot upgrade schema_migrations");
}

namespace {

Result<std::map<std::string, AppliedRow>> ReadHistory(Database* db) {
  std::map<std::string, AppliedRow> applied;
  try {
    soci::rowset<soci::row> rows =
        (db->session().prepare << "SELECT version, name, checksum, applied_at FROM schema_migrations");
    for (const soci::row& row : rows) {
      AppliedRow r{row.get<std::string>(1), row.get<std::string>(2), row.get<std::string>(3)};
      applied[CanonicalVersion(row.get<std::string>(0))] = r;
    }
  } catch (...) {
    return StatusFromCurrentException("cannot read schema_migrations");
  }
  return applied;
}

}  // namespace

Result<bool> HistoryMatchesFiles(Database* db, const std::vector<std::filesystem::path>& roots) {
  std::map<std::string, std::string> files;  // canonical version -> file name
  for (const std::filesystem::path& root : roots) {
    const std::filesystem::path dir = root / DialectName(db->dialect());
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) continue;
    for (const auto& item : std::filesystem::directory_iterator(dir, ec)) {
      const std::string name = item.path().filename().string();
      if (item.path().extension() != ".sql") continue;
      const size_t underscore = name.find('_');
      // Anything LoadMigrations would refuse is its to report.
      if (underscore == std::string::npos || underscore < 4 ||
          name.find_first_not_of("0123456789") != underscore) {
        return false;
      }
      if (!files.emplace(CanonicalVersion(name.substr(0, underscore)), name).second) return false;
    }
    if (ec) return false;
  }
  Result<bool> exists = HistoryTableExists(db);
  if (!exists.ok()) return exists.status();
  if (!*exists) return false;
  size_t applied = 0;
  try {
    soci::rowset<soci::row> rows = (db->session().prepare << "SELECT version, name FROM schema_migrations");
    for (const soci::row& row : rows) {
      auto it = files.find(CanonicalVersion(row.get<std::string>(0)));
      if (it == files.end() || it->second != row.get<std::string>(1)) return false;
      ++applied;
    }
  } catch (...) {
    return StatusFromCurrentException("cannot read schema_migrations");
  }
  return applied == files.size();
}

Result<std::vector<MigrationState>> Migrator::Status() {
  Result<bool> exists = HistoryTableExists(db_);
  if (!exists.ok()) return exists.status();
  Result<std::map<std::string, AppliedRow>> history =
      *exists ? ReadHistory(db_) : Result<std::map<std::string, AppliedRow>>(std::map<std::string, AppliedRow>());
  if (!history.ok()) return history.status();
  std::vector<MigrationState> states;
  for (const Migration& m : migrations_) {
    MigrationState state;
    state.migration = m;
    auto it = history->find(CanonicalVersion(m.version));
    if (it != history->end()) {
      state.applied = true;
      state.applied_at = it->second.applied_at;
      state.changed = it->second.checksum != m.checksum;
      history->erase(it);
    }
    states.push_back(std::move(state));
  }
  // Applied, but no file any more.
  for (const auto& [version, row] : *history) {
    MigrationState state;
    state.migration.version = version;
    state.migration.name = row.name;
    state.applied = true;
    state.applied_at = row.applied_at;
    states.push_back(std::move(state));
  }
  return states;
}

tether::Status Migrator::CheckHistory(const std::vector<MigrationState>& states) {
  for (const MigrationState& state : states) {
    if (state.applied && state.migration.file.empty()) {
      return tether::Status::DataLoss("migration " + state.migration.name +
                                      " was applied but its file is missing; refusing to go on");
    }
    if (state.changed) {
      return tether::Status::DataLoss("migration " + state.migration.file.string() +
                                      " changed after it was applied (checksum differs from the "
                                      "recorded one); write a new migration instead of editing it");
    }
  }
  return tether::Status::Ok();
}

namespace {

// Key of the PostgreSQL advisory lock that serializes migrators ("tether").
constexpr long long kMigrationLockKey = 0x746574686572LL;

// Holds PostgreSQL's session-level advisory lock for migrations on a
// connection of its own, so that it spans every file's transaction; released
// when the holder goes (or its connection does).
class MigrationLock {
 public:
  static Result<std::unique_ptr<MigrationLock>> Acquire(const std::string& url, int timeout_seconds) {
    Result<std::unique_ptr<Database>> db = Database::Open(url);
    if (!db.ok()) return db.status();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
    while (true) {
      int got = 0;
      try {
        (*db)->session() << "SELECT CASE WHEN pg_try_advisory_lock(:k) THEN 1 ELSE 0 END",
            soci::use(kMigrationLockKey), soci::into(got);
      } catch (...) {
        return StatusFromCurrentException("cannot take the migration lock");
      }
      if (got == 1) return std::unique_ptr<MigrationLock>(new MigrationLock(std::move(db).value()));
      if (std::chrono::steady_clock::now() >= deadline) {
        return tether::Status::Unavailable("another migrator has held the migration lock for " +
                                           std::to_string(timeout_seconds) + " s; try again later");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  ~MigrationLock() {
    try {
      db_->session() << "SELECT pg_advisory_unlock(:k)", soci::use(kMigrationLockKey);
    } catch (...) {
      // Closing the connection releases it too.
    }
  }

 private:
  explicit MigrationLock(std::unique_ptr<Database> db) : db_(std::move(db)) {}
  std::unique_ptr<Database> db_;
};

}  // namespace

Result<std::vector<std::string>> Migrator::Apply() {
  // On PostgreSQL every migrator waits for the lock, then reads the history:
  // what another one applied meanwhile is seen as applied. On SQLite each
  // file's BEGIN IMMEDIATE does the same per file (see ApplyOne).
  std::unique_ptr<MigrationLock> lock;
  if (db_->dialect() == Dialect::kPostgres) {
    Result<std::unique_ptr<MigrationLock>> acquired = MigrationLock::Acquire(db_->url(), kLockTimeoutSeconds);
    if (!acquired.ok()) return acquired.status();
    lock = std::move(acquired).value();
  }
  TETHER_RETURN_IF_ERROR(EnsureHistoryTable());
  Result<std::vector<MigrationState>> states = Status();
  if (!states.ok()) return states.status();
  TETHER_RETURN_IF_ERROR(CheckHistory(*states));
  Result<std::vector<PlannedMigration>> plan = Plan();
  if (!plan.ok()) return plan.status();
  std::string refusals;
  warnings_.clear();
  for (const PlannedMigration& p : *plan) {
    tether::Status refused = RefusalStatus(p.classification, p.migration.file.string());
    if (!refused.ok()) refusals += (refusals.empty() ? "" : "\n") + refused.message();
    for (const MigrationFinding& f : p.classification.findings) {
      if (f.severity == FindingSeverity::kWarning) warnings_.push_back(f.message);
    }
  }
  if (!refusals.empty()) {
    return tether::Status::DataLoss(refusals + "\nNothing was applied.");
  }
  std::vector<std::string> applied;
  for (const PlannedMigration& p : *plan) {
    bool applied_now = false;
    TETHER_RETURN_IF_ERROR(ApplyOne(p.migration, &applied_now));
    if (applied_now) applied.push_back(p.migration.name);
  }
  return applied;
}

namespace {

std::string QuoteIdentifier(const std::string& name) {
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

// What the classifier may ask about the live database. Unknown (nullopt)
// whenever the answer cannot be had, for example for a missing table.
MigrationFacts FactsFrom(Database* db, bool runs_in_transaction) {
  MigrationFacts facts;
  facts.runs_in_transaction = runs_in_transaction;
  facts.table_has_rows = [db](const TableRef& table) -> std::optional<bool> {
    std::string name = (table.schema.empty() ? "" : QuoteIdentifier(table.schema) + ".") + QuoteIdentifier(table.name);
    try {
      int rows = 0;
      db->session() << "SELECT CASE WHEN EXISTS (SELECT 1 FROM " + name + ") THEN 1 ELSE 0 END", soci::into(rows);
      return rows == 1;
    } catch (...) {
      return std::nullopt;
    }
  };
  facts.table_columns = [db](const TableRef& table) -> std::optional<std::vector<std::string>> {
    std::vector<std::string> columns;
    try {
      std::string name = table.name;
      soci::rowset<std::string> rows =
          db->dialect() == Dialect::kSqlite
              ? (db->session().prepare << "SELECT name FROM pragma_table_info(:t)", soci::use(name))
              : (db->session().prepare << "SELECT column_name FROM information_schema.columns WHERE table_name = :t"
                                          " AND table_schema = current_schema() ORDER BY ordinal_position",
                 soci::use(name));
      for (const std::string& c : rows) columns.push_back(c);
    } catch (...) {
      return std::nullopt;
    }
    if (columns.empty()) return std::nullopt;
    return columns;
  };
  return facts;
}

tether::Status SetSqliteForeignKeys(Database* db, bool on) {
  try {
    db->session() << (on ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF");
  } catch (...) {
    return StatusFromCurrentException(on ? "cannot turn foreign keys back on" : "cannot turn foreign keys off");
  }
  return tether::Status::Ok();
}

// Refuses a file that leaves rows referring to rows that are not there.
tether::Status CheckSqliteForeignKeys(Database* db, const Migration& migration) {
  std::vector<std::string> dangling;
  long long count = 0;
  try {
    soci::rowset<soci::row> rows = (db->session().prepare << "PRAGMA foreign_key_check");
    for (const soci::row& row : rows) {
      if (++count > 5) continue;
      dangling.push_back(row.get<std::string>(0) + " row " + std::to_string(RowInt(row, 1)) + " -> " +
                         row.get<std::string>(2));
    }
  } catch (...) {
    return StatusFromCurrentException(migration.file.string() + ": cannot check foreign keys");
  }
  if (count == 0) return tether::Status::Ok();
  std::string listed;
  for (const std::string& d : dangling) listed += "\n  " + d;
  return tether::Status::DataLoss(migration.file.string() + " leaves " + std::to_string(count) +
                                  " rows referring to rows that are not there (first " +
                                  std::to_string(dangling.size()) + "):" + listed + "\nNothing was applied.");
}

}  // namespace

Result<std::vector<Migrator::PlannedMigration>> Migrator::Plan() {
  Result<std::vector<MigrationState>> states = Status();
  if (!states.ok()) return states.status();
  std::vector<PlannedMigration> plan;
  for (const MigrationState& state : *states) {
    if (state.applied) continue;
    PlannedMigration p;
    p.migration = state.migration;
    Result<SqlScript> script = SplitSqlScript(p.migration.sql, ToSqlDialect(db_->dialect()), p.migration.file.string());
    if (!script.ok()) return script.status();
    p.no_transaction = HasDirective(*script, "tether:no-transaction");
    p.statements = script->statements;
    Result<MigrationClassification> classification =
        ClassifyMigrationSql(p.migration.sql, ToSqlDialect(db_->dialect()), p.migration.file.string(),
                             FactsFrom(db_, !p.no_transaction));
    if (!classification.ok()) return classification.status();
    p.classification = std::move(classification).value();
    plan.push_back(std::move(p));
  }
  return plan;
}

Result<Migrator::VerifyReport> Migrator::Verify() {
  VerifyReport report;
  Result<bool> exists = HistoryTableExists(db_);
  if (!exists.ok()) return exists.status();
  if (!*exists) {
    Result<std::vector<ColumnFingerprint>> now = FingerprintAll(db_, protected_columns_);
    if (!now.ok()) return now.status();
    report.now = std::move(now).value();
    return report;
  }
  std::string evidence;
  try {
    soci::rowset<soci::row> rows = (db_->session().prepare
                                    << "SELECT version, name, evidence, applied_at FROM schema_migrations"
                                       " WHERE evidence IS NOT NULL");
    std::string best_version;
    for (const soci::row& row : rows) {
      std::string version = row.get<std::string>(0);
      if (!best_version.empty() && VersionLess(version, best_version)) continue;
      best_version = version;
      report.against = row.get<std::string>(1);
      evidence = row.get<std::string>(2);
      report.against_applied_at = row.get<std::string>(3);
    }
  } catch (...) {
    return StatusFromCurrentException("cannot read schema_migrations");
  }
  Result<std::vector<ColumnFingerprint>> now = FingerprintAll(db_, protected_columns_);
  if (!now.ok()) return now.status();
  report.now = std::move(now).value();
  if (report.against.empty()) return report;
  Result<std::vector<ColumnFingerprint>> recorded = FingerprintsFromJson(evidence);
  if (!recorded.ok()) return recorded.status();
  for (const ColumnFingerprint& current : report.now) {
    auto it = std::find_if(recorded->begin(), recorded->end(),
                           [&](const ColumnFingerprint& r) { return r.Name() == current.Name(); });
    if (it == recorded->end()) continue;  // protected after that migration ran
    for (FingerprintDifference& d : Compare(*it, current)) report.differences.push_back(std::move(d));
  }
  return report;
}

tether::Status Migrator::ApplyOne(const Migration& migration, bool* applied_now) {
  Result<SqlScript> script = SplitSqlScript(migration.sql, ToSqlDialect(db_->dialect()),
                                            migration.file.string());
  if (!script.ok()) return script.status();
  if (HasDirective(*script, "tether:no-transaction")) {
    TETHER_RETURN_IF_ERROR(CheckAllNeedNoTransaction(migration, *script, db_->dialect()));
    return ApplyWithoutTransaction(migration, *script, applied_now);
  }
  Stopwatch watch;
  auto apply = [&]() -> tether::Status {
    // Under the write lock now: another migrator may have applied it while
    // this one waited.
    int count = 0;
    std::string version = migration.version;
    db_->session() << "SELECT COUNT(*) FROM schema_migrations WHERE version = :v", soci::use(version),
        soci::into(count);
    if (count > 0) return tether::Status::Ok();
    if (db_->dialect() == Dialect::kPostgres) {
      // Never wait forever behind a lock an application holds, nor run away.
      db_->session() << "SET LOCAL lock_timeout = '10s'";
      db_->session() << "SET LOCAL statement_timeout = '30min'";
      // A file's checks run between its statements (FingerprintAll reads
      // whole columns): the engine's idle limit does not apply here.
      db_->session() << "SET LOCAL idle_in_transaction_session_timeout = 0";
    }
    Result<std::vector<ColumnFingerprint>> before = FingerprintAll(db_, protected_columns_);
    if (!before.ok()) return before.status();
    for (const SqlStatement& statement : script->statements) {
      try {
        db_->session() << statement.text;
      } catch (...) {
        return StatusFromCurrentException(migration.file.string() + ":" +
                                          std::to_string(statement.line));
      }
    }
    if (db_->dialect() == Dialect::kSqlite) TETHER_RETURN_IF_ERROR(CheckSqliteForeignKeys(db_, migration));
    Result<std::vector<ColumnFingerprint>> after = FingerprintAll(db_, protected_columns_);
    if (!after.ok()) return after.status();
    TETHER_RETURN_IF_ERROR(CheckProtectedData(migration, script->file_directives, *before, *after));
    std::string name = migration.name, checksum = migration.checksum, at = NowIso8601();
    std::string evidence = FingerprintsToJson(*after);
    long long ms = watch.ElapsedMillis();
    db_->session() << "INSERT INTO schema_migrations (version, name, checksum, applied_at, execution_ms, evidence)"
                      " VALUES (:v, :n, :c, :a, :ms, :e)",
        soci::use(version), soci::use(name), soci::use(checksum), soci::use(at), soci::use(ms), soci::use(evidence);
    *applied_now = true;
    return tether::Status::Ok();
  };
  if (db_->dialect() != Dialect::kSqlite) return db_->InTransaction(apply);
  // SQLite: foreign keys are not enforced while a file runs, so that a table
  // rebuild (new table, copy, drop the old one, rename) cascades no delete
  // and breaks no reference midway; CheckSqliteForeignKeys then refuses a
  // file that leaves a reference dangling. The pragma is a no-op inside a
  // transaction, hence around it.
  TETHER_RETURN_IF_ERROR(SetSqliteForeignKeys(db_, false));
  tether::Status status = db_->InTransaction(apply);
  tether::Status restored = SetSqliteForeignKeys(db_, true);
  return status.ok() ? restored : status;
}

}  // namespace tether::migrate

namespace tether::migrate {

tether::Status Migrator::ApplyWithoutTransaction(const Migration& migration, const SqlScript& script,
                                                 bool* applied_now) {
  Stopwatch watch;
  std::string version = migration.version;
  // What ran already (a run that was stopped half-way).
  std::vector<std::string> done;
  try {
    int count = 0;
    db_->session() << "SELECT COUNT(*) FROM schema_migrations WHERE version = :v", soci::use(version),
        soci::into(count);
    if (count > 0) return tether::Status::Ok();
    soci::rowset<std::string> rows = (db_->session().prepare << "SELECT statement_sha256 FROM schema_migration_progress"
                                                                " WHERE version = :v ORDER BY statement_index",
                                      soci::use(version));
    for (const std::string& sha : rows) done.push_back(sha);
  } catch (...) {
    return StatusFromCurrentException("cannot read the progress of " + migration.name);
  }
  if (done.size() > script.statements.size()) {
    return tether::Status::DataLoss(migration.file.string() + " has fewer statements than already ran; restore the file");
  }
  for (size_t i = 0; i < done.size(); ++i) {
    if (done[i] != Sha256Hex(script.statements[i].text)) {
      return tether::Status::DataLoss(migration.file.string() + ":" + std::to_string(script.statements[i].line) +
                                      ": this statement differs from the one that already ran; restore the file");
    }
  }
  Result<std::vector<ColumnFingerprint>> before = FingerprintAll(db_, protected_columns_);
  if (!before.ok()) return before.status();
  if (db_->dialect() == Dialect::kPostgres) {
    TETHER_RETURN_IF_ERROR(db_->Execute("SET lock_timeout = '10s'", "cannot set lock_timeout"));
    TETHER_RETURN_IF_ERROR(db_->Execute("SET statement_timeout = '6h'", "cannot set statement_timeout"));
  }
  for (size_t i = done.size(); i < script.statements.size(); ++i) {
    const SqlStatement& statement = script.statements[i];
    try {
      db_->session() << statement.text;
    } catch (...) {
      return StatusFromCurrentException(migration.file.string() + ":" + std::to_string(statement.line) + " (" +
                                        std::to_string(i) + " of " + std::to_string(script.statements.size()) +
                                        " statements ran; the next apply resumes here)");
    }
    long long index = static_cast<long long>(i);
    std::string sha = Sha256Hex(statement.text), at = NowIso8601();
    try {
      db_->session() << "INSERT INTO schema_migration_progress (version, statement_index, statement_sha256, executed_at)"
                        " VALUES (:v, :i, :s, :a)",
          soci::use(version), soci::use(index), soci::use(sha), soci::use(at);
    } catch (...) {
      return StatusFromCurrentException("cannot record the progress of " + migration.name);
    }
  }
  if (db_->dialect() == Dialect::kPostgres) {
    TETHER_RETURN_IF_ERROR(db_->Execute("RESET lock_timeout", "cannot reset lock_timeout"));
    TETHER_RETURN_IF_ERROR(db_->Execute("RESET statement_timeout", "cannot reset statement_timeout"));
  }
  Result<std::vector<ColumnFingerprint>> after = FingerprintAll(db_, protected_columns_);
  if (!after.ok()) return after.status();
  tether::Status kept = CheckProtectedData(migration, script.file_directives, *before, *after);
  if (!kept.ok()) {
    return tether::Status::DataLoss(kept.message() + "\n(it ran without a transaction: nothing could be rolled back)");
  }
  return db_->InTransaction([&]() -> tether::Status {
    std::string name = migration.name, checksum = migration.checksum, at = NowIso8601();
    std::string evidence = FingerprintsToJson(*after);
    long long ms = watch.ElapsedMillis();
    db_->session() << "INSERT INTO schema_migrations (version, name, checksum, applied_at, execution_ms, evidence)"
                      " VALUES (:v, :n, :c, :a, :ms, :e)",
        soci::use(version), soci::use(name), soci::use(checksum), soci::use(at), soci::use(ms), soci::use(evidence);
    db_->session() << "DELETE FROM schema_migration_progress WHERE version = :v", soci::use(version);
    *applied_now = true;
    return tether::Status::Ok();
  });
}

}  // namespace tether::migrate

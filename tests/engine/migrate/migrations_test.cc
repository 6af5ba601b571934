#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <soci/soci.h>

#include "engine/db/database.h"
#include "engine/migrate/migrations.h"
#include "support/git_repo.h"
#include "support/test_database.h"

namespace fs = std::filesystem;
using tether::db::Database;
using tether::db::Dialect;
using tether::migrate::LoadMigrations;
using tether::migrate::Migrator;
using tether::testing::TempDir;
using tether::testing::TestDatabase;
using tether::testing::TestingPostgres;
using tether::testing::CountIndexedSql;

namespace {

void WriteFile(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::unique_ptr<Database> OpenDb(const TestDatabase& database) {
  auto db = Database::Open(database.url());
  REQUIRE(db.ok());
  return std::move(db).value();
}

std::set<std::string> Tables(Database& db) {
  std::set<std::string> names;
  const char* sql = db.dialect() == Dialect::kSqlite
                        ? "SELECT name FROM sqlite_master WHERE type = 'table'"
                        : "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'";
  soci::rowset<std::string> rows = (db.session().prepare << sql);
  for (const std::string& name : rows) names.insert(name);
  return names;
}

// Writes migration `name` for the dialect under test.
void WriteMigration(const fs::path& root, const std::string& name, const std::string& sql) {
  WriteFile(root / (TestingPostgres() ? "postgres" : "sqlite") / name, sql);
}

tether::Result<std::vector<std::string>> ApplyFrom(Database& db, const fs::path& root) {
  auto migrations = LoadMigrations({root}, db.dialect());
  if (!migrations.ok()) return migrations.status();
  Migrator migrator(&db, std::move(migrations).value());
  return migrator.Apply();
}

}  // namespace

TEST_CASE("the shipped migrations create the schema once") {
  TempDir dir;
  TestDatabase database(dir.path());
  auto db = OpenDb(database);
  auto applied = ApplyFrom(*db, fs::path(TETHER_SOURCE_DIR) / "migrations");
  REQUIRE(applied.ok());
  CHECK_FALSE(applied->empty());
  auto tables = Tables(*db);
  for (const char* table : {"projects", "project_syncs", "sync_runs", "documents", "events", "schema_migrations"}) {
    CHECK(tables.count(table) == 1);
  }
  auto again = ApplyFrom(*db, fs::path(TETHER_SOURCE_DIR) / "migrations");
  REQUIRE(again.ok());
  CHECK(again->empty());
  int recorded = 0;
  db->session() << "SELECT COUNT(*) FROM schema_migrations", soci::into(recorded);
  CHECK(recorded == static_cast<int>(applied->size()));
}

TEST_CASE("every statement of a file runs, trigger bodies included") {
  TempDir dir;
  fs::path root = dir.path() / "m";
  if (TestingPostgres()) {
    WriteMigration(root, "0001_audit.sql",
                   "CREATE TABLE items (id SERIAL PRIMARY KEY, name TEXT);\n"
                   "CREATE TABLE audit (item_id INTEGER, note TEXT);\n"
                   "CREATE FUNCTION items_audit() RETURNS trigger AS $body$\n"
                   "BEGIN\n"
                   "  INSERT INTO audit VALUES (NEW.id, 'added; with a semicolon');\n"
                   "  INSERT INTO audit VALUES (NEW.id, CASE WHEN NEW.name IS NULL THEN 'nameless' ELSE 'named' END);\n"
                   "  RETURN NEW;\n"
                   "END $body$ LANGUAGE plpgsql;\n"
                   "CREATE TRIGGER items_audit AFTER INSERT ON items FOR EACH ROW EXECUTE FUNCTION items_audit();\n"
                   "INSERT INTO items (name) VALUES ('first');\n");
  } else {
    WriteMigration(root, "0001_audit.sql",
                   "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);\n"
                   "CREATE TABLE audit (item_id INTEGER, note TEXT);\n"
                   "CREATE TRIGGER items_audit AFTER INSERT ON items BEGIN\n"
                   "  INSERT INTO audit VALUES (NEW.id, 'added; with a semicolon');\n"
                   "  INSERT INTO audit VALUES (NEW.id, CASE WHEN NEW.name IS NULL THEN 'nameless' ELSE 'named' END);\n"
                   "END;\n"
                   "INSERT INTO items (name) VALUES ('first');\n");
  }
  TestDatabase database(dir.path());
  auto db = OpenDb(database);
  auto applied = ApplyFrom(*db, root);
  REQUIRE(applied.ok());
  int items = 0, audits = 0;
  db->session() << "SELECT COUNT(*) FROM items", soci::into(items);
  db->session() << "SELECT COUNT(*) FROM audit", soci::into(audits);
  CHECK(items == 1);
  CHECK(audits == 2);
}

TEST_CASE("a failing statement rolls its whole file back and names file and line") {
  TempDir dir;
  fs::path root = dir.path() / "m";
  WriteMigration(root, "0001_ok.sql", "CREATE TABLE a (x INTEGER);\n");
  WriteMigration(root, "0002_broken.sql",
            "CREATE TABLE b (x INTEGER);\n\n"
            "INSERT INTO no_such_table VALUES (1);\n");
  TestDatabase database(dir.path());
  auto db = OpenDb(database);
  auto applied = ApplyFrom(*db, root);
  REQUIRE_FALSE(applied.ok());
  CHECK_THAT(applied.status().message(), Catch::Contains("0002_broken.sql:3"));
  CHECK_THAT(applied.status().message(), Catch::Contains("no_such_table"));
  auto tables = Tables(*db);
  CHECK(tables.count("a") == 1);
  CHECK(tables.count("b") == 0);  // rolled back with its file
  int recorded = 0;
  db->session() << "SELECT COUNT(*) FROM schema_migrations", soci::into(recorded);
  CHECK(recorded == 1);
}

TEST_CASE("an applied migration whose file changed stops everything") {
  TempDir dir;
  fs::path root = dir.path() / "m";
  WriteMigration(root, "0001_a.sql", "CREATE TABLE a (x INTEGER);\n");
  TestDatabase database(dir.path());
  auto db = OpenDb(database);
  REQUIRE(ApplyFrom(*db, root).ok());
  WriteMigration(root, "0001_a.sql", "CREATE TABLE a (x INTEGER, y TEXT);\n");
  WriteMigration(root, "0002_b.sql", "CREATE TABLE b (x INTEGER);\n");
  auto applied = ApplyFrom(*db, root);
  REQUIRE_FALSE(applied.ok());
  CHECK(applied.status().code() == tether::StatusCode::kDataLoss);
  CHECK_THAT(applied.status().message(), Catch::Contains("0001_a.sql"));
  CHECK(Tables(*db).count("b") == 0);  // nothing after it ran

  auto migrations = LoadMigrations({root}, db->dialect());
  REQUIRE(migrations.ok());
  Migrator migrator(db.get(), std::move(migrations).value());
  auto states = migrator.Status();
  REQUIRE(states.ok());
  REQUIRE(states->size() == 2);
  CHECK((*states)[0].changed);
  CHECK_FALSE((*states)[1].applied);
}

TEST_CASE("a command's schema check compares versions and names, and leaves the files to a migration run") {
  TempDir dir;
  fs::path root = dir.path() / "m";
  WriteMigration(root, "0001_a.sql", "CREATE TABLE a (x INTEGER);\n");
  WriteMigration(root, "0002_b.sql", "CREATE TABLE b (x INTEGER);\n");
  TestDatabase database(dir.path());
  auto db = OpenDb(database);
  auto matches = [&] {
    auto result = tether::migrate::HistoryMatchesFiles(db.get(), {root});
    INFO(result.status().ToString());
    REQUIRE(result.ok());
    return *result;
  };
  CHECK_FALSE(matches());  // no history yet: the full check says what is pending
  REQUIRE(ApplyFrom(*db, root).ok());
  CHECK(matches());

  // A new file is pending; a file gone or renamed is not the applied one.
  WriteMigration(root, "0003_c.sql", "CREATE TABLE c (x INTEGER);\n");
  CHECK_FALSE(matches());
  fs::remove(root / (TestingPostgres() ? "postgres" : "sqlite") / "0003_c.sql");
  CHECK(matches());
  fs::rename(root / (TestingPostgres() ? "postgres" : "sqlite") / "0002_b.sql",
             root / (TestingPostgres() ? "postgres" : "sqlite") / "0002_bee.sql");
  CHECK_FALSE(matches());
  fs::rename(root / (TestingPostgres() ? "postgres" : "sqlite") / "0002_bee.sql",
             root / (TestingPostgres() ? "postgres" : "sqlite") / "0002_b.sql");
  fs::remove(root / (TestingPostgres() ? "postgres" : "sqlite") / "0001_a.sql");
  CHECK_FALSE(matches());

  // An applied file edited since is not read here (nothing is); the full
  // check of a migration run still stops on it.
  WriteMigration(root, "0001_a.sql", "CREATE TABLE a (x INTEGER, y TEXT);\n");
  CHECK(matches());
  auto applied = ApplyFrom(*db, root);
  REQUIRE_FALSE(applied.ok());
  CHECK(applied.status().code() == tether::StatusCode::kDataLoss);
  CHECK_THAT(applied.status().message(), Catch::Contains("0001_a.sql"));
}

TEST_CASE("badly named and duplicate migration files are refused") {
  TempDir dir;
  WriteFile(dir.path() / "bad" / "sqlite" / "1_too_short.sql", "SELECT 1;");
  auto bad = LoadMigrations({dir.path() / "bad"}, Dialect::kSqlite);
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.status().message(), Catch::Contains("1_too_short.sql"));

  WriteFile(dir.path() / "one" / "sqlite" / "0007_x.sql", "SELECT 1;");
  WriteFile(dir.path() / "two" / "sqlite" / "0007_y.sql", "SELECT 1;");
  auto dup = LoadMigrations({dir.path() / "one", dir.path() / "two"}, Dialect::kSqlite);
  REQUIRE_FALSE(dup.ok());
  CHECK_THAT(dup.status().message(), Catch::Contains("0007_x.sql"));
  CHECK_THAT(dup.status().message(), Catch::Contains("0007_y.sql"));
}

TEST_CASE("two migrators at once apply each file exactly once") {
  TempDir dir;
  fs::path root = dir.path() / "m";
  for (int i = 1; i <= 20; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "%04d_t%d.sql", i, i);
    WriteMigration(root, name, "CREATE TABLE t" + std::to_string(i) + " (x INTEGER);\n");
  }
  TestDatabase database(dir.path());
  OpenDb(database);  // create the database before the race
  std::vector<std::string> applied[2];
  tether::Status status[2];
  std::thread workers[2];
  for (int w = 0; w < 2; ++w) {
    workers[w] = std::thread([&, w] {
      auto db = Database::Open(database.url());
      if (!db.ok()) {
        status[w] = db.status();
        return;
      }
      auto result = ApplyFrom(**db, root);
      status[w] = result.status();
      if (result.ok()) applied[w] = *result;
    });
  }
  for (auto& t : workers) t.join();
  INFO(status[0].ToString() << " / " << status[1].ToString());
  CHECK(status[0].ok());
  CHECK(status[1].ok());
  CHECK(applied[0].size() + applied[1].size() == 20);
  auto db = OpenDb(database);
  int recorded = 0;
  db->session() << "SELECT COUNT(*) FROM schema_migrations", soci::into(recorded);
  CHECK(recorded == 20);
}

namespace {

long long CountOf(Database& db, const std::string& sql) {
  long long n = 0;
  db.session() << sql, soci::into(n);
  return n;
}

// A migrations folder with the shipped files of versions before `version`.
fs::path ShippedBefore(const fs::path& dir, const std::string& version) {
  const fs::path shipped = fs::path(TETHER_SOURCE_DIR) / "migrations";
  for (const char* dialect : {"sqlite", "postgres"}) {
    fs::create_directories(dir / dialect);
    for (const auto& entry : fs::directory_iterator(shipped / dialect)) {
      if (entry.path().filename().string() < version) fs::copy_file(entry.path(), dir / dialect / entry.path().filename());
    }
  }
  return dir;
}

}  // namespace

TEST_CASE("0005 makes project names unique per tenant and keeps every row, id and reference") {
  TempDir dir;
  TestDatabase database(dir.path());
  auto db = OpenDb(database);
  REQUIRE(ApplyFrom(*db, ShippedBefore(dir.path() / "before-0005", "0005")).ok());
  const bool sqlite = db->dialect() == Dialect::kSqlite;

  // Two tenants' projects, one deleted (the newest id), with what hangs
  // off a project: its sync row, a run, documents with embeddings, events.
  for (const char* row : {"('web', 'alpha', 'now')", "('api', 'beta', 'now')", "('gone', 'alpha', 'now')"}) {
    REQUIRE(db->Execute(std::string("INSERT INTO projects (name, tenant_id, created_at) VALUES ") + row, "project").ok());
  }
  const long long web = CountOf(*db, "SELECT id FROM projects WHERE name = 'web'");
  const long long gone = CountOf(*db, "SELECT id FROM projects WHERE name = 'gone'");
  const std::string w = std::to_string(web);
  REQUIRE(db->Execute("DELETE FROM projects WHERE id = " + std::to_string(gone), "delete").ok());
  REQUIRE(db->Execute("INSERT INTO project_syncs (project_id, provider, storage, repo_url, branch, updated_at)"
                      " VALUES (" + w + ", 'local-git', 'sql-storage', '/r', 'main', 'now')", "sync row").ok());
  REQUIRE(db->Execute("INSERT INTO sync_runs (project_id, trigger, started_at) VALUES (" + w + ", 'cli', 'now')",
                      "run").ok());
  for (int i = 0; i < 3; ++i) {
    const std::string embedding = sqlite ? "CAST('emb' AS BLOB)" : "convert_to('emb', 'UTF8')";
    REQUIRE(db->Execute("INSERT INTO documents (project_id, path, blob_sha, mode, kind, size, embedding,"
                        " updated_commit, updated_at) VALUES (" + w + ", 'f" + std::to_string(i) +
                            "', 'b', 33188, 'file', 1, " + embedding + ", 'c', 'now')",
                        "document").ok());
  }
  REQUIRE(db->Execute("INSERT INTO events (project_id, type, payload, created_at) VALUES (" + w +
                      ", 'run.started', '{}', 'now')", "event").ok());

  auto applied = ApplyFrom(*db, fs::path(TETHER_SOURCE_DIR) / "migrations");
  INFO(applied.status().message());
  REQUIRE(applied.ok());
  REQUIRE_FALSE(applied->empty());  // 0005 and the ones shipped after it
  REQUIRE(applied->front() == "0005_project_names_per_tenant.sql");

  // Every row and id is there, and everything still hangs off its project.
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM projects") == 2);
  CHECK(CountOf(*db, "SELECT id FROM projects WHERE name = 'web' AND tenant_id = 'alpha'") == web);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM documents WHERE embedding IS NOT NULL AND project_id = " + w) == 3);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM project_syncs WHERE project_id = " + w) == 1);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM sync_runs WHERE project_id = " + w) == 1);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM events WHERE project_id = " + w) == 1);

  // A name is unique within a tenant only.
  CHECK(db->Execute("INSERT INTO projects (name, tenant_id, created_at) VALUES ('web', 'beta', 'now')", "other").ok());
  CHECK_FALSE(db->Execute("INSERT INTO projects (name, tenant_id, created_at) VALUES ('web', 'alpha', 'now')",
                          "same").ok());
  // The deleted project's id is not handed out again.
  CHECK(CountOf(*db, "SELECT MIN(id) FROM projects WHERE name = 'web' AND tenant_id = 'beta'") > gone);

  // Foreign keys are enforced again and still point at the projects.
  CHECK_FALSE(db->Execute("INSERT INTO sync_runs (project_id, trigger, started_at) VALUES (999999, 'cli', 'now')",
                          "dangling").ok());
  REQUIRE(db->Execute("DELETE FROM projects WHERE id = " + w, "delete web").ok());
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM documents") == 0);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM project_syncs") == 0);
}

TEST_CASE("on SQLite a migration that leaves a reference dangling is refused and changes nothing") {
  if (TestingPostgres()) return;  // PostgreSQL enforces foreign keys inside the file itself
  TempDir dir;
  TestDatabase database(dir.path());
  auto db = OpenDb(database);
  REQUIRE(ApplyFrom(*db, fs::path(TETHER_SOURCE_DIR) / "migrations").ok());
  REQUIRE(db->Execute("INSERT INTO projects (name, created_at) VALUES ('web', 'now')", "project").ok());
  const std::string w = std::to_string(CountOf(*db, "SELECT id FROM projects"));
  REQUIRE(db->Execute("INSERT INTO sync_runs (project_id, trigger, started_at) VALUES (" + w + ", 'cli', 'now')",
                      "run").ok());
  const fs::path extra = dir.path() / "extra";
  WriteMigration(extra, "0100_orphan_runs.sql", "DELETE FROM projects WHERE name = 'web';\n");
  auto loaded = LoadMigrations({fs::path(TETHER_SOURCE_DIR) / "migrations", extra}, db->dialect());
  REQUIRE(loaded.ok());
  Migrator migrator(db.get(), std::move(loaded).value());
  auto applied = migrator.Apply();
  REQUIRE_FALSE(applied.ok());
  CHECK_THAT(applied.status().message(),
             Catch::Contains("0100_orphan_runs.sql leaves 1 rows referring to rows that are not there") &&
                 Catch::Contains("sync_runs row"));
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM projects") == 1);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM schema_migrations WHERE name = '0100_orphan_runs.sql'") == 0);
  // Foreign keys are on again on this connection.
  CHECK(CountOf(*db, "PRAGMA foreign_keys") == 1);
}

TEST_CASE("0007 moves every project's cursor into the storage's table, and only the storage writes it then") {
  TempDir dir;
  TestDatabase database(dir.path());
  auto db = OpenDb(database);
  REQUIRE(ApplyFrom(*db, ShippedBefore(dir.path() / "before-0007", "0007")).ok());
  // Three projects: two synced (one of them to a commit whose id the
  // other's is not a prefix of), one never synced.
  for (const char* name : {"'a'", "'b'", "'c'"}) {
    REQUIRE(db->Execute(std::string("INSERT INTO projects (name, tenant_id, created_at) VALUES (") + name +
                            ", 'default', 'now')", "project").ok());
  }
  const std::vector<std::pair<std::string, std::string>> cursors = {
      {"a", std::string(40, '1')}, {"b", "0123456789abcdef0123456789abcdef01234567"}, {"c", ""}};
  for (const auto& [name, commit] : cursors) {
    const std::string value = commit.empty() ? "NULL" : "'" + commit + "'";
    REQUIRE(db->Execute("INSERT INTO project_syncs (project_id, provider, storage, repo_url, branch,"
                        " last_synced_commit, updated_at) SELECT id, 'local-git', 'sql-storage', '/r', 'main', " +
                            value + ", 'then' FROM projects WHERE name = '" + name + "'",
                        "sync row").ok());
  }

  auto applied = ApplyFrom(*db, fs::path(TETHER_SOURCE_DIR) / "migrations");
  INFO(applied.status().message());
  REQUIRE(applied.ok());
  REQUIRE(applied->front() == "0007_storage_cursors.sql");

  for (const auto& [name, commit] : cursors) {
    INFO(name);
    std::string stored;
    soci::indicator ind = soci::i_null;
    db->session() << "SELECT MAX(c.commit_id) FROM storage_cursors c JOIN projects p ON p.id = c.project_id"
                     " WHERE p.name = :n",
        soci::use(name), soci::into(stored, ind);
    CHECK((ind == soci::i_null ? std::string() : stored) == commit);
  }
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM storage_cursors") == 2);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM project_syncs") == 3);
  // The engine's row no longer holds a cursor anyone could write.
  CHECK_FALSE(db->Execute("SELECT last_synced_commit FROM project_syncs", "old column").ok());
}

TEST_CASE("0008 gives PostgreSQL runs a cancel request column, empty for every run there is") {
  TempDir dir;
  TestDatabase database(dir.path());
  auto db = OpenDb(database);
  REQUIRE(ApplyFrom(*db, ShippedBefore(dir.path() / "before-0008", "0008")).ok());
  REQUIRE(db->Execute("INSERT INTO projects (name, tenant_id, created_at) VALUES ('web', 'default', 'now')",
                      "project").ok());
  const std::string w = std::to_string(CountOf(*db, "SELECT id FROM projects WHERE name = 'web'"));
  for (const char* outcome : {"'succeeded'", "'running'"}) {
    REQUIRE(db->Execute("INSERT INTO sync_runs (project_id, trigger, started_at, outcome) VALUES (" + w +
                            ", 'cli', 'now', " + outcome + ")",
                        "run").ok());
  }
  auto applied = ApplyFrom(*db, ShippedBefore(dir.path() / "before-0009", "0009"));
  INFO(applied.status().message());
  REQUIRE(applied.ok());
  if (db->dialect() == Dialect::kSqlite) {
    // SQLite keeps cancel requests beside the database (engine/db/run_store.h).
    CHECK(applied->empty());
    return;
  }
  REQUIRE(applied->front() == "0008_cancel_requests.sql");
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM sync_runs") == 2);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM sync_runs WHERE cancel_requested_at IS NULL") == 2);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM sync_runs WHERE outcome = 'running'") == 1);
}

TEST_CASE("0009 adds the analysis tables and an empty analysis to every run, keeping runs and documents") {
  TempDir dir;
  TestDatabase database(dir.path());
  auto db = OpenDb(database);
  REQUIRE(ApplyFrom(*db, ShippedBefore(dir.path() / "before-0009", "0009")).ok());
  REQUIRE(db->Execute("INSERT INTO projects (name, tenant_id, created_at) VALUES ('web', 'default', 'now')",
                      "project").ok());
  const std::string w = std::to_string(CountOf(*db, "SELECT id FROM projects WHERE name = 'web'"));
  REQUIRE(db->Execute("INSERT INTO sync_runs (project_id, trigger, started_at, outcome) VALUES (" + w +
                          ", 'cli', 'now', 'succeeded')",
                      "run").ok());
  REQUIRE(db->Execute("INSERT INTO documents (project_id, path, blob_sha, mode, kind, size, content, updated_commit,"
                      " updated_at) VALUES (" + w + ", 'a.py', 'b1', 33188, 'file', 3, 'x=1', 'c1', 'now')",
                      "document").ok());
  auto applied = ApplyFrom(*db, fs::path(TETHER_SOURCE_DIR) / "migrations");
  INFO(applied.status().message());
  REQUIRE(applied.ok());
  REQUIRE(applied->front() == "0009_analysis_results.sql");
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM sync_runs WHERE analysis IS NULL") == 1);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM documents WHERE content = 'x=1'") == 1);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM analysis_results") == 0);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM analysis_symbols") == 0);
  // One result per (tenant, blob, language, analyzer key).
  const std::string insert =
      "INSERT INTO analysis_results (tenant_id, blob_sha, language, analyzer, analyzer_version, settings_hash,"
      " state, created_at, updated_at) VALUES ('default', 'b1', 'python', 'code', '1', '', 'analyzed', 'now', 'now')";
  REQUIRE(db->Execute(insert, "result").ok());
  CHECK_FALSE(db->Execute(insert, "the same result again").ok());
}

TEST_CASE("0010 adds the repository outputs, one per name and analyzer of a project, gone with the project") {
  TempDir dir;
  TestDatabase database(dir.path());
  auto db = OpenDb(database);
  REQUIRE(ApplyFrom(*db, ShippedBefore(dir.path() / "before-0010", "0010")).ok());
  REQUIRE(db->Execute("INSERT INTO projects (name, tenant_id, created_at) VALUES ('web', 'default', 'now')",
                      "project").ok());
  const std::string w = std::to_string(CountOf(*db, "SELECT id FROM projects WHERE name = 'web'"));
  REQUIRE(db->Execute("INSERT INTO documents (project_id, path, blob_sha, mode, kind, size, content, updated_commit,"
                      " updated_at) VALUES (" + w + ", 'a.py', 'b1', 33188, 'file', 3, 'x=1', 'c1', 'now')",
                      "document").ok());
  // Up to 0010 only: later migrations have tests of their own.
  auto applied = ApplyFrom(*db, ShippedBefore(dir.path() / "to-0010", "0011"));
  INFO(applied.status().message());
  REQUIRE(applied.ok());
  REQUIRE(applied->front() == "0010_repository_outputs.sql");
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM documents WHERE content = 'x=1'") == 1);
  const std::string output =
      "INSERT INTO analysis_outputs (tenant_id, project_id, analyzer, name, output_key, content, updated_at) VALUES"
      " ('default', " + w + ", 'docs', 'pages/_index.md', 'k', '# web', 'now')";
  REQUIRE(db->Execute(output, "output").ok());
  CHECK_FALSE(db->Execute(output, "the same output again").ok());
  REQUIRE(db->Execute("INSERT INTO analysis_step_files (tenant_id, project_id, analyzer, path, blob_sha, language)"
                      " VALUES ('default', " + w + ", 'docs', 'a.py', 'b1', 'python')", "snapshot").ok());
  REQUIRE(db->Execute("INSERT INTO analysis_steps (tenant_id, project_id, analyzer, analyzer_version, settings_hash,"
                      " completed_at) VALUES ('default', " + w + ", 'docs', '1', '', 'now')", "step").ok());
  REQUIRE(db->Execute("DELETE FROM projects WHERE id = " + w, "remove the project").ok());
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM analysis_outputs") == 0);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM analysis_step_files") == 0);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM analysis_steps") == 0);
}

TEST_CASE("0011 gives every project an empty schedule, keeping its sync settings") {
  TempDir dir;
  TestDatabase database(dir.path());
  auto db = OpenDb(database);
  REQUIRE(ApplyFrom(*db, ShippedBefore(dir.path() / "before-0011", "0011")).ok());
  REQUIRE(db->Execute("INSERT INTO projects (name, tenant_id, created_at) VALUES ('web', 'default', 'now')",
                      "project").ok());
  const std::string w = std::to_string(CountOf(*db, "SELECT id FROM projects WHERE name = 'web'"));
  REQUIRE(db->Execute("INSERT INTO project_syncs (project_id, provider, storage, repo_url, branch, updated_at)"
                      " VALUES (" + w + ", 'local-git', 'sql-storage', '/srv/web', 'main', 'now')",
                      "sync settings").ok());
  auto applied = ApplyFrom(*db, fs::path(TETHER_SOURCE_DIR) / "migrations");
  INFO(applied.status().message());
  REQUIRE(applied.ok());
  REQUIRE(applied->front() == "0011_schedules.sql");
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM project_syncs WHERE branch = 'main' AND schedule IS NULL"
                     " AND next_sync_at IS NULL AND head_changed_at IS NULL") == 1);
}

TEST_CASE("0012 gives every API token the tenant scope and adds an empty verify_reports table") {
  TempDir dir;
  TestDatabase database(dir.path());
  auto db = OpenDb(database);
  REQUIRE(ApplyFrom(*db, ShippedBefore(dir.path() / "before-0012", "0012")).ok());
  REQUIRE(db->Execute("INSERT INTO api_tokens (name, tenant_id, token_hash, created_at) VALUES"
                      " ('ci', 'acme', 'h1', 'now')",
                      "token").ok());
  auto applied = ApplyFrom(*db, fs::path(TETHER_SOURCE_DIR) / "migrations");
  INFO(applied.status().message());
  REQUIRE(applied.ok());
  CHECK(applied->front() == "0012_admin_tokens_and_verify_reports.sql");
  // The token made before keeps its tenant and may do what it did: no more.
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM api_tokens WHERE name = 'ci' AND tenant_id = 'acme' AND scope = 'tenant'") ==
        1);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM verify_reports") == 0);
  // Only the two scopes exist.
  CHECK_FALSE(db->Execute("INSERT INTO api_tokens (name, tenant_id, token_hash, created_at, scope) VALUES"
                          " ('x', 'acme', 'h2', 'now', 'root')",
                          "another scope").ok());
  CHECK(db->Execute("INSERT INTO api_tokens (name, tenant_id, token_hash, created_at, scope) VALUES"
                    " ('ops', 'acme', 'h3', 'now', 'admin')",
                    "admin").ok());
}

TEST_CASE("0013 keeps every project's lease and schedule, at epoch 0 with no request, and adds empty workers and fences") {
  TempDir dir;
  TestDatabase database(dir.path());
  auto db = OpenDb(database);
  REQUIRE(ApplyFrom(*db, ShippedBefore(dir.path() / "before-0013", "0013")).ok());
  REQUIRE(db->Execute("INSERT INTO projects (name, tenant_id, created_at) VALUES ('web', 'default', 'now')",
                      "project").ok());
  const std::string w = std::to_string(CountOf(*db, "SELECT id FROM projects WHERE name = 'web'"));
  REQUIRE(db->Execute("INSERT INTO project_syncs (project_id, provider, storage, repo_url, branch, updated_at,"
                      " lease_owner, lease_expires_at, schedule, next_sync_at) VALUES (" + w +
                          ", 'local-git', 'sql-storage', '/srv/web', 'main', 'now', 'h:1:1:1', 99, '300s', 1234)",
                      "sync settings").ok());
  REQUIRE(db->Execute("INSERT INTO sync_runs (project_id, trigger, started_at, outcome) VALUES (" + w +
                          ", 'cli', 'now', 'succeeded')",
                      "run").ok());
  auto applied = ApplyFrom(*db, fs::path(TETHER_SOURCE_DIR) / "migrations");
  INFO(applied.status().message());
  REQUIRE(applied.ok());
  REQUIRE(applied->front() == "0013_workers.sql");
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM project_syncs WHERE lease_owner = 'h:1:1:1' AND lease_expires_at = 99"
                     " AND lease_epoch = 0 AND lease_worker IS NULL AND sync_requested_at IS NULL"
                     " AND schedule = '300s' AND next_sync_at = 1234") == 1);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM sync_runs WHERE worker IS NULL AND outcome = 'succeeded'") == 1);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM workers") == 0);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM storage_fences") == 0);
  // A fence belongs to its project: gone with it.
  REQUIRE(db->Execute("INSERT INTO storage_fences (project_id, epoch) VALUES (" + w + ", 3)", "fence").ok());
  REQUIRE(db->Execute("DELETE FROM project_syncs WHERE project_id = " + w, "settings").ok());
  REQUIRE(db->Execute("DELETE FROM sync_runs WHERE project_id = " + w, "runs").ok());
  REQUIRE(db->Execute("DELETE FROM projects WHERE id = " + w, "project").ok());
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM storage_fences") == 0);
}

namespace {

const std::string kInsertDocument =
    "INSERT INTO documents (project_id, path, blob_sha, mode, kind, size, content, updated_commit, updated_at) VALUES (";

// The project "web" with a.c ("int Needle_One = 1;") and b.c ("no match
// here"); returns the project's id.
std::string TwoDocumentsOfWeb(Database& db) {
  REQUIRE(db.Execute("INSERT INTO projects (name, tenant_id, created_at) VALUES ('web', 'default', 'now')",
                     "project").ok());
  const std::string w = std::to_string(CountOf(db, "SELECT id FROM projects WHERE name = 'web'"));
  REQUIRE(db.Execute(kInsertDocument + w + ", 'a.c', 'b1', 33188, 'file', 20, 'int Needle_One = 1;', 'c1', 'now')",
                     "a").ok());
  REQUIRE(db.Execute(kInsertDocument + w + ", 'b.c', 'b2', 33188, 'file', 20, 'no match here', 'c1', 'now')", "b")
              .ok());
  return w;
}

// What sql-storage's IndexText does with every pending document (SQLite).
void IndexPending(Database& db) {
  REQUIRE(db.Execute("INSERT INTO documents_text (rowid, content) SELECT d.id, d.content FROM documents d "
                     "JOIN documents_text_pending q ON q.id = d.id WHERE d.content IS NOT NULL",
                     "index").ok());
  REQUIRE(db.Execute("DELETE FROM documents_text_pending", "indexed").ok());
}

// What sql-storage's IndexText does since 0019: what the index holds of a
// changed document out first, then its content in.
void IndexPendingTakingOldOut(Database& db) {
  REQUIRE(db.Execute("INSERT INTO documents_text (documents_text, rowid, content) SELECT 'delete', id,"
                     " indexed_content FROM documents_text_pending WHERE indexed_content IS NOT NULL",
                     "old out").ok());
  IndexPending(db);
}

}  // namespace

TEST_CASE("0014 indexes the content of every document there is for text search, keeps every row, and the index follows writes") {
  TempDir dir;
  TestDatabase database(dir.path());
  auto db = OpenDb(database);
  REQUIRE(ApplyFrom(*db, ShippedBefore(dir.path() / "before-0014", "0014")).ok());
  const std::string w = TwoDocumentsOfWeb(*db);
  const std::string columns = kInsertDocument;
  REQUIRE(db->Execute(columns + w + ", 'bin', 'b3', 33188, 'file', 20, NULL, 'c1', 'now')", "binary").ok());
  // Up to 0017, after which a write's content waits for IndexText.
  auto applied = ApplyFrom(*db, ShippedBefore(dir.path() / "before-0017", "0017"));
  INFO(applied.status().message());
  REQUIRE(applied.ok());
  REQUIRE(applied->front() == "0014_text_search.sql");
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM documents") == 3);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM documents WHERE content = 'int Needle_One = 1;'") == 1);

  // How many documents the index says hold `text` (case folded).
  const bool sqlite = db->dialect() == Dialect::kSqlite;
  const auto indexed = [&](const std::string& text) {
    return CountOf(*db, sqlite ? "SELECT COUNT(*) FROM documents_text WHERE documents_text MATCH '\"" + text + "\"'"
                               : "SELECT COUNT(*) FROM documents WHERE content ILIKE '%" + text + "%'");
  };
  if (!sqlite) {
    CHECK(CountOf(*db, "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'documents_content_trgm'") == 1);
    CHECK(CountOf(*db, "SELECT COUNT(*) FROM pg_extension WHERE extname = 'pg_trgm'") == 1);
  }
  // The rows there were are found by their content.
  CHECK(indexed("needle_one") == 1);
  CHECK(indexed("match here") == 1);
  // Writes after it: a changed content, a rename, a removal, a new row.
  REQUIRE(db->Execute("UPDATE documents SET content = 'int Needle_Two = 2;' WHERE path = 'a.c'", "change").ok());
  CHECK(indexed("needle_one") == 0);
  CHECK(indexed("needle_two") == 1);
  REQUIRE(db->Execute("UPDATE documents SET path = 'moved.c' WHERE path = 'a.c'", "rename").ok());
  CHECK(indexed("needle_two") == 1);
  REQUIRE(db->Execute("DELETE FROM documents WHERE path = 'b.c'", "remove").ok());
  CHECK(indexed("match here") == 0);
  REQUIRE(db->Execute(columns + w + ", 'c.c', 'b4', 33188, 'file', 9, 'new match', 'c2', 'now')", "new").ok());
  CHECK(indexed("new match") == 1);
  // A project removed takes its documents out of the index.
  REQUIRE(db->Execute("DELETE FROM projects WHERE id = " + w, "project").ok());
  CHECK(indexed("needle_two") == 0);
  CHECK(indexed("new match") == 0);
  if (sqlite) {
    REQUIRE(db->Execute("INSERT INTO documents_text (documents_text, rank) VALUES ('integrity-check', 1)",
                        "the index agrees with documents").ok());
  }
}

TEST_CASE("0017 leaves a write's content to IndexText, and the index stays exact through every write") {
  TempDir dir;
  TestDatabase database(dir.path());
  auto db = OpenDb(database);
  REQUIRE(ApplyFrom(*db, ShippedBefore(dir.path() / "before-0017", "0017")).ok());
  const std::string w = TwoDocumentsOfWeb(*db);
  const std::string columns = kInsertDocument;
  // Up to 0018, after which sql-storage's writer names a new row's content.
  auto applied = ApplyFrom(*db, ShippedBefore(dir.path() / "before-0018", "0018"));
  INFO(applied.status().message());
  REQUIRE(applied.ok());
  REQUIRE(applied->front() == "0017_text_index_later.sql");
  if (db->dialect() != Dialect::kSqlite) {
    // The rows there were are indexed (0014's index holds them); a row
    // written now waits, until IndexText sets its flag.
    CHECK(CountOf(*db, "SELECT COUNT(*) FROM documents WHERE text_indexed") == 2);
    REQUIRE(db->Execute(columns + w + ", 'c.c', 'b4', 33188, 'file', 9, 'new match', 'c2', 'now')", "new").ok());
    CHECK(CountOf(*db, "SELECT COUNT(*) FROM documents WHERE NOT text_indexed") == 1);
    CHECK(CountOf(*db, "SELECT COUNT(*) FROM documents WHERE content = 'int Needle_One = 1;'") == 1);
    return;
  }
  const auto indexed = [&](const std::string& text) {
    return CountOf(*db, "SELECT COUNT(*) FROM documents_text WHERE documents_text MATCH '\"" + text + "\"'");
  };
  const auto pending = [&] { return CountOf(*db, "SELECT COUNT(*) FROM documents_text_pending"); };
  // The rows there were stay indexed, and nothing waits.
  CHECK(pending() == 0);
  CHECK(indexed("needle_one") == 1);
  // A new row, a changed indexed row: their content waits, the old is gone.
  REQUIRE(db->Execute(columns + w + ", 'c.c', 'b4', 33188, 'file', 9, 'new match', 'c2', 'now')", "new").ok());
  REQUIRE(db->Execute("UPDATE documents SET content = 'int Needle_Two = 2;' WHERE path = 'a.c'", "change").ok());
  CHECK(pending() == 2);
  CHECK(indexed("needle_one") == 0);
  CHECK(indexed("needle_two") == 0);
  CHECK(indexed("new match") == 0);
  // A pending row changed again and another removed before IndexText: never
  // indexed, nothing to take out. An indexed row removed: taken out.
  REQUIRE(db->Execute("UPDATE documents SET content = 'int Needle_Three = 3;' WHERE path = 'a.c'", "again").ok());
  REQUIRE(db->Execute("DELETE FROM documents WHERE path = 'c.c'", "pending removed").ok());
  REQUIRE(db->Execute("DELETE FROM documents WHERE path = 'b.c'", "indexed removed").ok());
  CHECK(pending() == 1);
  CHECK(indexed("match here") == 0);
  // A rename and a binary row (no content) change nothing of the index.
  REQUIRE(db->Execute("UPDATE documents SET path = 'moved.c' WHERE path = 'a.c'", "rename").ok());
  REQUIRE(db->Execute(columns + w + ", 'bin', 'b3', 33188, 'file', 20, NULL, 'c1', 'now')", "binary").ok());
  CHECK(pending() == 1);
  // (FTS5's own check below counts a row without content as missing from
  // the index: the binary row goes before it.)
  REQUIRE(db->Execute("DELETE FROM documents WHERE path = 'bin'", "binary removed").ok());
  IndexPending(*db);
  CHECK(indexed("needle_three") == 1);
  CHECK(indexed("needle_two") == 0);
  CHECK(indexed("new match") == 0);
  // Changed once indexed: the old content goes at once, the new waits.
  REQUIRE(db->Execute("UPDATE documents SET content = 'int Needle_Four = 4;' WHERE path = 'moved.c'", "four").ok());
  CHECK(indexed("needle_three") == 0);
  CHECK(pending() == 1);
  IndexPending(*db);
  REQUIRE(db->Execute("INSERT INTO documents_text (documents_text, rank) VALUES ('integrity-check', 1)",
                      "the index agrees with documents").ok());
  // A project removed takes its documents out of the index and the list.
  REQUIRE(db->Execute(columns + w + ", 'd.c', 'b5', 33188, 'file', 9, 'waiting', 'c3', 'now')", "waiting").ok());
  REQUIRE(db->Execute("DELETE FROM projects WHERE id = " + w, "project").ok());
  CHECK(indexed("needle_four") == 0);
  CHECK(pending() == 0);
  REQUIRE(db->Execute("INSERT INTO documents_text (documents_text, rank) VALUES ('integrity-check', 1)",
                      "the index agrees with documents after the project went").ok());
}

TEST_CASE("0018 leaves naming new content to the writer (SQLite) or indexes indexed rows only (PostgreSQL), and keeps what waits") {
  TempDir dir;
  TestDatabase database(dir.path());
  auto db = OpenDb(database);
  REQUIRE(ApplyFrom(*db, ShippedBefore(dir.path() / "before-0018", "0018")).ok());
  const std::string w = TwoDocumentsOfWeb(*db);
  // Up to 0019, after which a change's old content leaves the index later.
  auto applied = ApplyFrom(*db, ShippedBefore(dir.path() / "to-0018", "0019"));
  INFO(applied.status().message());
  REQUIRE(applied.ok());
  if (db->dialect() != Dialect::kSqlite) {
    REQUIRE(applied->front() == "0018_text_index_partial.sql");
    // 0014's index is replaced by one of the indexed rows, and one of
    // those waiting; both built whole.
    CHECK(CountOf(*db, "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'documents_content_trgm'") == 0);
    CHECK(CountOf(*db, "SELECT COUNT(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indisvalid"
                       " AND c.relname IN ('documents_content_trgm_indexed', 'documents_text_unindexed')") == 2);
    // Both rows (written after 0017) wait, and are kept.
    CHECK(CountOf(*db, "SELECT COUNT(*) FROM documents WHERE NOT text_indexed AND content IS NOT NULL") == 2);
    // What IndexText does; then the index answers a substring search.
    REQUIRE(db->Execute("UPDATE documents SET text_indexed = true WHERE project_id = " + w, "index").ok());
    REQUIRE(db->Execute("SET enable_seqscan = off", "no table scans").ok());
    std::string plan;
    soci::rowset<std::string> lines =
        (db->session().prepare << "EXPLAIN SELECT id FROM documents WHERE text_indexed AND content ILIKE '%needle_one%'");
    for (const std::string& line : lines) plan += line + "\n";
    INFO(plan);
    CHECK(plan.find("documents_content_trgm_indexed") != std::string::npos);
    CHECK(CountOf(*db, "SELECT COUNT(*) FROM documents WHERE text_indexed AND content ILIKE '%needle_one%'") == 1);
    REQUIRE(db->Execute("RESET enable_seqscan", "table scans").ok());
    return;
  }
  REQUIRE(applied->front() == "0018_writer_names_new_text.sql");
  const auto pending = [&] { return CountOf(*db, "SELECT COUNT(*) FROM documents_text_pending"); };
  const auto indexed = [&](const std::string& text) {
    return CountOf(*db, "SELECT COUNT(*) FROM documents_text WHERE documents_text MATCH '\"" + text + "\"'");
  };
  // Both rows written before 0018 still wait for IndexText.
  CHECK(pending() == 2);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM documents") == 2);
  // A row inserted now is not named by the database: the writer does it.
  REQUIRE(db->Execute(kInsertDocument + w + ", 'c.c', 'b4', 33188, 'file', 9, 'new match', 'c2', 'now')", "new").ok());
  CHECK(pending() == 2);
  REQUIRE(db->Execute("INSERT INTO documents_text_pending (id, project_id) SELECT id, project_id FROM documents"
                      " WHERE path = 'c.c'",
                      "named as the writer names it").ok());
  IndexPending(*db);
  CHECK(indexed("needle_one") == 1);
  CHECK(indexed("new match") == 1);
  // Changes and removals still keep the index exact by their triggers.
  REQUIRE(db->Execute("UPDATE documents SET content = 'int Needle_Two = 2;' WHERE path = 'a.c'", "change").ok());
  CHECK(indexed("needle_one") == 0);
  CHECK(pending() == 1);
  REQUIRE(db->Execute("DELETE FROM documents WHERE path = 'c.c'", "remove").ok());
  CHECK(indexed("new match") == 0);
  IndexPending(*db);
  CHECK(indexed("needle_two") == 1);
  REQUIRE(db->Execute("INSERT INTO documents_text (documents_text, rank) VALUES ('integrity-check', 1)",
                      "the index agrees with documents").ok());
}

TEST_CASE("0019 takes a changed document's old content out of the text index after the write, and keeps it exact (SQLite)") {
  TempDir dir;
  TestDatabase database(dir.path());
  if (database.dialect() != Dialect::kSqlite) return;  // PostgreSQL has no 0019
  auto db = OpenDb(database);
  REQUIRE(ApplyFrom(*db, ShippedBefore(dir.path() / "before-0019", "0019")).ok());
  const std::string w = TwoDocumentsOfWeb(*db);
  // Written under 0018 (whose writer names new content itself): a.c
  // indexed since, b.c still waiting.
  REQUIRE(db->Execute("INSERT INTO documents_text (rowid, content) SELECT id, content FROM documents WHERE path = 'a.c'",
                      "a.c indexed").ok());
  REQUIRE(db->Execute("INSERT INTO documents_text_pending (id, project_id) SELECT id, project_id FROM documents"
                      " WHERE path = 'b.c'",
                      "b.c waits").ok());
  // Up to 0020, after which the index keeps no positions.
  auto applied = ApplyFrom(*db, ShippedBefore(dir.path() / "to-0019", "0020"));
  INFO(applied.status().message());
  REQUIRE(applied.ok());
  REQUIRE(applied->front() == "0019_old_text_out_later.sql");
  const auto pending = [&] { return CountOf(*db, "SELECT COUNT(*) FROM documents_text_pending"); };
  const auto indexed = [&](const std::string& text) {
    return CountOf(*db, "SELECT COUNT(*) FROM documents_text WHERE documents_text MATCH '\"" + text + "\"'");
  };
  const auto exact = [&](const std::string& when) {
    // FTS5's own check: the index holds exactly the content of every
    // document (a pending one's pending content included, as FTS5 reads it
    // from documents), so it runs only once nothing waits.
    REQUIRE(pending() == 0);
    REQUIRE(db->Execute("INSERT INTO documents_text (documents_text, rank) VALUES ('integrity-check', 1)", when).ok());
  };
  const auto index_pending = [&] { IndexPendingTakingOldOut(*db); };
  // What waited before stays waiting, with nothing indexed of it.
  CHECK(pending() == 1);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM documents_text_pending WHERE indexed_content IS NULL") == 1);
  CHECK(indexed("needle_one") == 1);

  // An indexed document changed: its old content stays indexed until
  // IndexText, and the document waits with it.
  REQUIRE(db->Execute("UPDATE documents SET content = 'int Needle_Two = 2;' WHERE path = 'a.c'", "change").ok());
  CHECK(indexed("needle_one") == 1);
  CHECK(pending() == 2);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM documents_text_pending WHERE indexed_content = 'int Needle_One = 1;'") == 1);
  // Changed again before IndexText: what the index holds is still the first.
  REQUIRE(db->Execute("UPDATE documents SET content = 'int Needle_Three = 3;' WHERE path = 'a.c'", "again").ok());
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM documents_text_pending WHERE indexed_content = 'int Needle_One = 1;'") == 1);
  // A rename changes nothing of it.
  REQUIRE(db->Execute("UPDATE documents SET path = 'moved.c' WHERE path = 'a.c'", "rename").ok());
  CHECK(pending() == 2);
  index_pending();
  CHECK(indexed("needle_one") == 0);
  CHECK(indexed("needle_three") == 1);
  CHECK(indexed("no match") == 1);
  exact("the index agrees with documents after IndexText");

  // Changed, then removed before IndexText: both contents gone at once.
  REQUIRE(db->Execute("UPDATE documents SET content = 'int Needle_Four = 4;' WHERE path = 'moved.c'", "four").ok());
  REQUIRE(db->Execute("DELETE FROM documents WHERE path = 'moved.c'", "removed").ok());
  CHECK(indexed("needle_three") == 0);
  CHECK(pending() == 0);
  exact("the index agrees after a waiting document went");

  // Indexed content turned binary (no content), then text again.
  REQUIRE(db->Execute("UPDATE documents SET content = NULL WHERE path = 'b.c'", "binary").ok());
  CHECK(pending() == 1);
  CHECK(indexed("no match") == 1);
  index_pending();
  CHECK(indexed("no match") == 0);
  REQUIRE(db->Execute("UPDATE documents SET content = 'text again' WHERE path = 'b.c'", "text").ok());
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM documents_text_pending WHERE indexed_content IS NULL") == 1);
  index_pending();
  CHECK(indexed("text again") == 1);
  exact("the index agrees after binary and back");

  // A project removed with a changed document waiting: the index keeps
  // nothing of it.
  REQUIRE(db->Execute("UPDATE documents SET content = 'last words' WHERE path = 'b.c'", "last").ok());
  REQUIRE(db->Execute("DELETE FROM projects WHERE id = " + w, "project").ok());
  CHECK(indexed("text again") == 0);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM documents") == 0);
  exact("the index agrees after the project went");
}

TEST_CASE("0019 keeps content of up to 8 KB inline and uncompressed in new rows, and keeps every row (PostgreSQL)") {
  TempDir dir;
  TestDatabase database(dir.path());
  if (database.dialect() != Dialect::kPostgres) return;  // SQLite's 0019 is the text index's
  auto db = OpenDb(database);
  REQUIRE(ApplyFrom(*db, ShippedBefore(dir.path() / "before-0019", "0019")).ok());
  const std::string w = TwoDocumentsOfWeb(*db);
  std::string text;  // 6 KB that compresses well
  while (text.size() < 6000) text += "int value_" + std::to_string(text.size() % 7) + " = 0;\n";
  const auto insert = [&](const std::string& path) {
    REQUIRE(db->Execute(kInsertDocument + w + ", '" + path + "', 'b9', 33188, 'file', " + std::to_string(text.size()) +
                            ", '" + text + "', 'c1', 'now')",
                        path).ok());
  };
  const auto stored = [&](const std::string& path) {
    return CountOf(*db, "SELECT pg_column_size(content) FROM documents WHERE path = '" + path + "'");
  };
  insert("before.c");
  CHECK(stored("before.c") < static_cast<long long>(text.size()));  // compressed, as before 0019
  auto applied = ApplyFrom(*db, fs::path(TETHER_SOURCE_DIR) / "migrations");
  INFO(applied.status().message());
  REQUIRE(applied.ok());
  REQUIRE(applied->front() == "0019_documents_inline.sql");
  insert("after.c");
  CHECK(stored("after.c") >= static_cast<long long>(text.size()));  // as it is
  CHECK(stored("before.c") < static_cast<long long>(text.size()));  // rows already there stay as they are
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM documents") == 4);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM documents WHERE content = '" + text + "'") == 2);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM documents WHERE content = 'int Needle_One = 1;'") == 1);
}

TEST_CASE("0020 rebuilds the text index without positions, leaving every document to IndexText, and keeps every row (SQLite)") {
  TempDir dir;
  TestDatabase database(dir.path());
  if (database.dialect() != Dialect::kSqlite) return;  // PostgreSQL has no 0020
  auto db = OpenDb(database);
  REQUIRE(ApplyFrom(*db, ShippedBefore(dir.path() / "before-0020", "0020")).ok());
  const std::string w = TwoDocumentsOfWeb(*db);
  REQUIRE(db->Execute(kInsertDocument + w + ", 'bin', 'b3', 33188, 'file', 20, NULL, 'c1', 'now')", "binary").ok());
  // Before 0020: a.c indexed then changed (its old content waits to go out),
  // b.c indexed, the binary file never.
  REQUIRE(db->Execute("INSERT INTO documents_text (rowid, content) SELECT id, content FROM documents"
                      " WHERE content IS NOT NULL",
                      "indexed").ok());
  REQUIRE(db->Execute("UPDATE documents SET content = 'int Needle_Two = 2;' WHERE path = 'a.c'", "change").ok());
  const auto pending = [&] { return CountOf(*db, "SELECT COUNT(*) FROM documents_text_pending"); };
  REQUIRE(pending() == 1);

  auto applied = ApplyFrom(*db, fs::path(TETHER_SOURCE_DIR) / "migrations");
  INFO(applied.status().message());
  REQUIRE(applied.ok());
  REQUIRE(applied->front() == "0020_text_index_rowids_only.sql");
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM documents") == 3);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM documents WHERE content = 'int Needle_Two = 2;'") == 1);
  // The new index holds nothing: both documents with content wait, with
  // nothing of theirs indexed.
  CHECK(pending() == 2);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM documents_text_pending WHERE indexed_content IS NULL") == 2);
  CHECK(CountOf(*db, CountIndexedSql("match here")) == 0);
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM documents_text_data") <= 2);  // FTS5's structure rows, no terms
  // IndexText's work; then every sequence of a document's text finds it,
  // and a phrase (which needs positions) is refused.
  IndexPending(*db);
  CHECK(CountOf(*db, CountIndexedSql("needle_two")) == 1);
  CHECK(CountOf(*db, CountIndexedSql("needle_one")) == 0);
  CHECK(CountOf(*db, CountIndexedSql("match here")) == 1);
  CHECK_FALSE(db->Execute("SELECT COUNT(*) FROM documents_text WHERE documents_text MATCH 'needle NEAR here'",
                          "near").ok());
  // (FTS5's own check counts a row without content as missing from the
  // index: the binary row goes before it.)
  REQUIRE(db->Execute("DELETE FROM documents WHERE path = 'bin'", "binary removed").ok());
  REQUIRE(db->Execute("INSERT INTO documents_text (documents_text, rank) VALUES ('integrity-check', 1)",
                      "the index agrees with documents").ok());
  // The triggers of 0019 go on with the new index.
  REQUIRE(db->Execute("UPDATE documents SET content = 'no more' WHERE path = 'b.c'", "change again").ok());
  CHECK(CountOf(*db, CountIndexedSql("match here")) == 1);
  IndexPendingTakingOldOut(*db);
  CHECK(CountOf(*db, CountIndexedSql("match here")) == 0);
  CHECK(CountOf(*db, CountIndexedSql("no more")) == 1);
  REQUIRE(db->Execute("DELETE FROM projects WHERE id = " + w, "project").ok());
  CHECK(CountOf(*db, CountIndexedSql("no more")) == 0);
  REQUIRE(db->Execute("INSERT INTO documents_text (documents_text, rank) VALUES ('integrity-check', 1)",
                      "the index agrees with documents after the project went").ok());
}

TEST_CASE("0015 gives every project's sync settings its project's tenant, which a new row must have") {
  TempDir dir;
  TestDatabase database(dir.path());
  auto db = OpenDb(database);
  REQUIRE(ApplyFrom(*db, ShippedBefore(dir.path() / "before-0015", "0015")).ok());
  for (const std::string tenant : {"acme", "beta"}) {
    REQUIRE(db->Execute("INSERT INTO projects (name, tenant_id, created_at) VALUES ('web', '" + tenant + "', 'now')",
                        "project").ok());
    const std::string id = std::to_string(
        CountOf(*db, "SELECT id FROM projects WHERE name = 'web' AND tenant_id = '" + tenant + "'"));
    REQUIRE(db->Execute("INSERT INTO project_syncs (project_id, provider, storage, repo_url, branch, updated_at,"
                        " sync_requested_at) VALUES (" + id + ", 'local-git', 'sql-storage', '/srv/web', 'main', 'now', 5)",
                        "sync settings").ok());
  }
  auto applied = ApplyFrom(*db, fs::path(TETHER_SOURCE_DIR) / "migrations");
  INFO(applied.status().message());
  REQUIRE(applied.ok());
  REQUIRE(applied->front() == "0015_work_queue_indexes.sql");
  CHECK(CountOf(*db, "SELECT COUNT(*) FROM project_syncs s JOIN projects p ON p.id = s.project_id"
                     " WHERE s.tenant_id = p.tenant_id AND s.sync_requested_at = 5") == 2);
  if (database.dialect() == tether::db::Dialect::kPostgres) {
    // A row without its tenant would never be claimed: PostgreSQL refuses it.
    REQUIRE(db->Execute("INSERT INTO projects (name, tenant_id, created_at) VALUES ('api', 'acme', 'now')",
                        "project").ok());
    const std::string id = std::to_string(CountOf(*db, "SELECT id FROM projects WHERE name = 'api'"));
    CHECK_FALSE(db->Execute("INSERT INTO project_syncs (project_id, provider, storage, repo_url, branch, updated_at)"
                            " VALUES (" + id + ", 'local-git', 'sql-storage', '/srv/api', 'main', 'now')",
                            "sync settings without a tenant").ok());
  }
}

// The story that made Tether refuse data-losing migrations, replayed through
// the CLI on SQLite and PostgreSQL: 382 documents carry embeddings; schema
// changes come and go; the embeddings survive every one that does not say,
// in so many words, that it means to touch them.
#include <catch2/catch.hpp>

#include <fstream>
#include <thread>

#include "engine/cli/cli_harness.h"
#include "support/status_checks.h"

using tether::testing::CliResult;
using tether::testing::GitRepo;
using tether::testing::ShellQuote;
using tether::testing::TempDir;
using tether::testing::TetherCli;

namespace {

constexpr int kDocuments = 382;

// A synced project with 382 documents, each with its own embedding.
struct Story {
  TempDir dir;
  GitRepo repo{dir.path() / "repo"};
  std::unique_ptr<TetherCli> cli;
  std::filesystem::path extra = dir.path() / "extra-migrations";

  Story() {
    for (int i = 0; i < kDocuments; ++i) {
      repo.Write("src/m" + std::to_string(i % 12) + "/f" + std::to_string(i) + ".txt", "doc " + std::to_string(i) + "\n");
    }
    repo.Commit("382 documents");
    cli = std::make_unique<TetherCli>(dir.path());
    REQUIRE(cli->Run("project add p --repo " + ShellQuote(repo.url())).exit_code == 0);
    REQUIRE(cli->Run("sync p").exit_code == 0);
    REQUIRE_OK(cli->db().Execute(cli->postgres() ? "UPDATE documents SET embedding = convert_to('emb:' || path, 'UTF8')"
                                                 : "UPDATE documents SET embedding = CAST('emb:' || path AS BLOB)",
                                 "embed"));
    REQUIRE(Embedded() == kDocuments);
  }

  long long Embedded() { return cli->Count("SELECT COUNT(*) FROM documents WHERE embedding IS NOT NULL"); }

  // Writes migration `name` for the database under test.
  void Migration(const std::string& name, const std::string& sql) {
    std::filesystem::path folder = extra / (cli->postgres() ? "postgres" : "sqlite");
    std::filesystem::create_directories(folder);
    std::ofstream(folder / name) << sql;
  }

  CliResult Apply() { return cli->Run("migrate --dir " + ShellQuote(extra.string()) + " apply"); }
  CliResult Verify() { return cli->Run("migrate --dir " + ShellQuote(extra.string()) + " verify"); }
  long long Recorded(const std::string& name) {
    return cli->Count("SELECT COUNT(*) FROM schema_migrations WHERE name = '" + name + "'");
  }
};

}  // namespace

TEST_CASE("a migration adding a column applies and all 382 embeddings are intact") {
  Story story;
  story.Migration("0100_sync_flag.sql", "ALTER TABLE documents ADD COLUMN analysis_enabled INTEGER NOT NULL DEFAULT 1;\n");
  CliResult applied = story.Apply();
  INFO(applied.err);
  REQUIRE(applied.exit_code == 0);
  CHECK(story.Recorded("0100_sync_flag.sql") == 1);
  CHECK(story.Embedded() == kDocuments);
  CliResult verified = story.Verify();
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
  CHECK_THAT(verified.out, Catch::Contains("0100_sync_flag.sql") && Catch::Contains("all protected data matches"));
  // The evidence holds the embeddings' fingerprint.
  CHECK_THAT(story.cli->Text("SELECT evidence FROM schema_migrations WHERE name = '0100_sync_flag.sql'"),
             Catch::Contains("\"column\":\"documents.embedding\",\"exists\":true,\"rows\":382,\"non_null\":382"));
}

TEST_CASE("a migration dropping documents.embedding is refused before it runs and changes nothing") {
  Story story;
  story.Migration("0100_drop_embedding.sql",
                  "ALTER TABLE documents ADD COLUMN unrelated TEXT;\n"
                  "ALTER TABLE documents DROP COLUMN embedding;\n");
  CliResult plan = story.cli->Run("migrate --dir " + ShellQuote(story.extra.string()) + " plan");
  CHECK(plan.exit_code == 1);
  CHECK_THAT(plan.out, Catch::Contains("REFUSED 0100_drop_embedding.sql") &&
                           Catch::Contains("-- tether:allow drop-column documents.embedding"));
  CliResult refused = story.Apply();
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("0100_drop_embedding.sql:2") && Catch::Contains("documents.embedding"));
  CHECK(story.Recorded("0100_drop_embedding.sql") == 0);
  CHECK(story.Embedded() == kDocuments);
  CHECK_THROWS(story.cli->Count("SELECT COUNT(unrelated) FROM documents"));
}

TEST_CASE("acknowledging the drop is not enough while the column holds protected data") {
  Story story;
  story.Migration("0100_drop_embedding.sql",
                  "-- tether:allow drop-column documents.embedding\n"
                  "ALTER TABLE documents ADD COLUMN unrelated TEXT;\n"
                  "ALTER TABLE documents DROP COLUMN embedding;\n");
  CliResult refused = story.Apply();
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("documents.embedding: the column is gone (it held 382 values)") &&
                              Catch::Contains("rolled back"));
  CHECK(story.Recorded("0100_drop_embedding.sql") == 0);
  CHECK(story.Embedded() == kDocuments);
  // The first statement of the file went back with the rest.
  CHECK_THROWS(story.cli->Count("SELECT COUNT(unrelated) FROM documents"));
}

TEST_CASE("a table rebuild that silently loses the embeddings is refused and if acknowledged caught and rolled back") {
  Story story;
  const std::string columns =
      "id, project_id, path, blob_sha, mode, kind, size, is_binary, content, language, updated_commit, updated_at";
  const std::string create =
      story.cli->postgres()
          ? "CREATE TABLE documents_new (id BIGINT PRIMARY KEY, project_id BIGINT NOT NULL, path TEXT NOT NULL,"
            " blob_sha TEXT NOT NULL, mode BIGINT NOT NULL, kind TEXT NOT NULL, size BIGINT NOT NULL,"
            " is_binary SMALLINT NOT NULL, content TEXT, language TEXT, updated_commit TEXT NOT NULL,"
            " updated_at TEXT NOT NULL, UNIQUE (project_id, path));\n"
          : "CREATE TABLE documents_new (id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, path TEXT NOT NULL,"
            " blob_sha TEXT NOT NULL, mode INTEGER NOT NULL, kind TEXT NOT NULL, size INTEGER NOT NULL,"
            " is_binary INTEGER NOT NULL, content TEXT, language TEXT, updated_commit TEXT NOT NULL,"
            " updated_at TEXT NOT NULL, UNIQUE (project_id, path));\n";
  const std::string rebuild = create + "INSERT INTO documents_new (" + columns + ") SELECT " + columns +
                              " FROM documents;\n" + "DROP TABLE documents;\n" +
                              "ALTER TABLE documents_new RENAME TO documents;\n";
  // Unacknowledged: the classifier refuses it, naming the column left behind.
  story.Migration("0100_rebuild_documents.sql", rebuild);
  CliResult refused = story.Apply();
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("table-rebuild") && Catch::Contains("embedding"));
  CHECK(story.Recorded("0100_rebuild_documents.sql") == 0);
  CHECK(story.Embedded() == kDocuments);
  // Acknowledged as a rebuild (the author believed every column was copied):
  // the fingerprints catch the lost column, and everything rolls back.
  story.Migration("0100_rebuild_documents.sql", "-- tether:allow table-rebuild documents\n" + rebuild);
  CliResult caught = story.Apply();
  CHECK(caught.exit_code == 1);
  CHECK_THAT(caught.err, Catch::Contains("documents.embedding: the column is gone"));
  CHECK(story.Recorded("0100_rebuild_documents.sql") == 0);
  CHECK(story.Embedded() == kDocuments);
  CHECK_THROWS(story.cli->Count("SELECT COUNT(*) FROM documents_new"));
}

TEST_CASE("a change to protected data that the file acknowledges is applied") {
  Story story;
  story.Migration("0100_reset_embeddings.sql",
                  "-- The embedding model changed: every embedding is recomputed.\n"
                  "-- tether:allow protected-change documents.embedding\n"
                  "UPDATE documents SET embedding = NULL WHERE embedding IS NOT NULL;\n");
  CliResult applied = story.Apply();
  INFO(applied.err);
  CHECK(applied.exit_code == 0);
  CHECK(story.Embedded() == 0);
  CHECK(story.Verify().exit_code == 0);  // the evidence is of after the change
}

TEST_CASE("migrate verify reports protected data that changed after the last migration") {
  Story story;
  story.Migration("0100_noop.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n");
  REQUIRE(story.Apply().exit_code == 0);
  REQUIRE_OK(story.cli->db().Execute("UPDATE documents SET embedding = NULL WHERE path LIKE 'src/m1/%'", "lose some"));
  CliResult verified = story.Verify();
  CHECK(verified.exit_code == 1);
  CHECK_THAT(verified.out, Catch::Contains("documents.embedding: non-null values 382 ->"));
}

TEST_CASE("migrate verify after ordinary syncs does not cry wolf about the values syncs change") {
  Story story;
  story.Migration("0100_noop.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n");
  REQUIRE(story.Apply().exit_code == 0);
  // A sync changes a file's content: its embedding is dropped, as it must be.
  story.repo.Write("src/m1/f1.txt", "changed\n");
  story.repo.Commit("change");
  REQUIRE(story.cli->Run("sync p").exit_code == 0);
  REQUIRE(story.Embedded() == kDocuments - 1);
  CliResult verified = story.Verify();
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
  CHECK_THAT(verified.out, !Catch::Contains("DIFFERENT"));
  CHECK_THAT(verified.out, Catch::Contains("1 sync(s) wrote since 0100_noop.sql was applied") &&
                               Catch::Contains("ok: every protected column is there with its declared type"));
  rapidjson::Document json = story.cli->Json("migrate --dir " + ShellQuote(story.extra.string()) + " verify");
  CHECK(json["ok"].GetBool());
  CHECK(json["syncs_since"].GetInt64() == 1);
  CHECK(json["differences"].Size() == 0);
  CHECK(json["changed_by_syncs"].Size() >= 1);
}

TEST_CASE("two migrate apply processes at once apply each file exactly once") {
  Story story;
  for (int i = 0; i < 15; ++i) {
    char name[40];
    std::snprintf(name, sizeof(name), "%04d_table_%d.sql", 100 + i, i);
    story.Migration(name, "CREATE TABLE extra_" + std::to_string(i) + " (id INTEGER PRIMARY KEY);\n"
                          "INSERT INTO extra_" + std::to_string(i) + " (id) VALUES (1);\n");
  }
  CliResult results[2];
  std::thread a([&] { results[0] = story.Apply(); });
  std::thread b([&] { results[1] = story.Apply(); });
  a.join();
  b.join();
  INFO(results[0].err << " / " << results[1].err);
  CHECK(results[0].exit_code == 0);
  CHECK(results[1].exit_code == 0);
  CHECK(story.cli->Count("SELECT COUNT(*) FROM schema_migrations WHERE name LIKE '%table_%'") == 15);
  for (int i = 0; i < 15; ++i) CHECK(story.cli->Count("SELECT COUNT(*) FROM extra_" + std::to_string(i)) == 1);
  CHECK(story.Embedded() == kDocuments);
}

TEST_CASE("a migrator killed in the middle of a file leaves nothing half-done and the next apply runs it") {
  Story story;
  // A file whose second statement runs for a while: the migrator is killed
  // during it, with the first statement done inside the transaction.
  story.Migration("0100_slow.sql",
                  "CREATE TABLE killed_midway (id INTEGER PRIMARY KEY);\n" +
                      std::string(story.cli->postgres()
                                      ? "SELECT pg_sleep(4);\n"
                                      : "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000000)"
                                        " SELECT COUNT(*) FROM c;\n"));
  int code = -1;
  tether::testing::RunCommand("timeout -s KILL 1.5 " + ShellQuote(TETHER_BIN) + " --config " +
                                  ShellQuote(story.cli->config().string()) + " migrate --dir " +
                                  ShellQuote(story.extra.string()) + " apply >/dev/null 2>&1",
                              &code);
  REQUIRE(code == 128 + 9);  // it was killed, not finished
  CHECK(story.Recorded("0100_slow.sql") == 0);
  CHECK_THROWS(story.cli->Count("SELECT COUNT(*) FROM killed_midway"));

  // Make the rerun quick, as an operator would after fixing the cause. The
  // edit is allowed: the file never applied.
  story.Migration("0100_slow.sql", "CREATE TABLE killed_midway (id INTEGER PRIMARY KEY);\n");
  CliResult applied = story.Apply();
  INFO(applied.err);
  CHECK(applied.exit_code == 0);
  CHECK(story.Recorded("0100_slow.sql") == 1);
  CHECK(story.cli->Count("SELECT COUNT(*) FROM killed_midway") == 0);
  CHECK(story.Embedded() == kDocuments);
}

TEST_CASE("a no-transaction file stopped half-way resumes exactly where it stopped") {
  Story story;
  std::filesystem::path copies = story.dir.path() / "copies";
  std::filesystem::create_directories(copies);
  std::string first, second;
  if (story.cli->postgres()) {
    story.Migration("0100_tables.sql", "CREATE TABLE notes_a (x INTEGER);\n");
    // The second statement fails until notes_b exists.
    first = "CREATE INDEX CONCURRENTLY notes_a_x ON notes_a (x);\n";
    second = "CREATE INDEX CONCURRENTLY notes_b_x ON notes_b (x);\n";
  } else {
    // VACUUM INTO fails when its target exists: the second fails until the
    // file is moved away, and the first would fail if it ran twice.
    first = "VACUUM INTO '" + (copies / "first.db").string() + "';\n";
    second = "VACUUM INTO '" + (copies / "second.db").string() + "';\n";
    std::ofstream(copies / "second.db") << "in the way";
  }
  story.Migration("0101_concurrently.sql", "-- tether:no-transaction\n" + first + second);
  CliResult stopped = story.Apply();
  CHECK(stopped.exit_code == 1);
  CHECK_THAT(stopped.err, Catch::Contains("0101_concurrently.sql:3") && Catch::Contains("resumes here"));
  CHECK(story.Recorded("0101_concurrently.sql") == 0);
  CHECK(story.cli->Count("SELECT COUNT(*) FROM schema_migration_progress") == 1);

  if (story.cli->postgres()) {
    REQUIRE_OK(story.cli->db().Execute("CREATE TABLE notes_b (x INTEGER)", "the missing table"));
  } else {
    std::filesystem::remove(copies / "second.db");
  }
  CliResult resumed = story.Apply();
  INFO(resumed.err);
  CHECK(resumed.exit_code == 0);  // the first statement did not run again
  CHECK(story.Recorded("0101_concurrently.sql") == 1);
  CHECK(story.cli->Count("SELECT COUNT(*) FROM schema_migration_progress") == 0);
  CHECK(story.Embedded() == kDocuments);
}

TEST_CASE("no-transaction is refused for a file with a statement that does not need it") {
  Story story;
  story.Migration("0100_mixed.sql",
                  "-- tether:no-transaction\n"
                  "CREATE TABLE not_needed (id INTEGER);\n");
  CliResult refused = story.Apply();
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("0100_mixed.sql:2") && Catch::Contains("no-transaction"));
  CHECK_THROWS(story.cli->Count("SELECT COUNT(*) FROM not_needed"));
}

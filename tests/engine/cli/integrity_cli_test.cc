// tether verify and tether backfill: what an operator runs after deploying a
// migration.
#include <catch2/catch.hpp>

#include "cli_harness.h"
#include "support/status_checks.h"

using tether::testing::CliResult;
using tether::testing::GitRepo;
using tether::testing::ShellQuote;
using tether::testing::TempDir;
using tether::testing::TetherCli;

namespace {

struct Synced {
  TempDir dir;
  GitRepo repo{dir.path() / "repo"};
  std::unique_ptr<TetherCli> cli;
  Synced() {
    repo.Write("a.txt", "a\n");
    repo.Write("b/c.txt", "c\n");
    repo.Commit("first");
    cli = std::make_unique<TetherCli>(dir.path());
    REQUIRE(cli->Run("project add p --repo " + ShellQuote(repo.url())).exit_code == 0);
    REQUIRE(cli->Run("sync p").exit_code == 0);
  }
};

}  // namespace

TEST_CASE("verify reports row counts and finds nothing wrong after ordinary syncs") {
  Synced s;
  auto report = s.cli->Json("verify");
  CHECK(report["ok"].GetBool());
  CHECK(report["table_rows"]["documents"].GetInt64() == 2);
  CHECK(report["table_rows"]["projects"].GetInt64() == 1);
  CHECK(report["problems"].Size() == 0);
  CHECK(s.cli->Run("verify").exit_code == 0);
}

TEST_CASE("a project without its project_syncs row is reported and backfill creates it once") {
  Synced s;
  REQUIRE(s.cli->Run("project add q --repo " + ShellQuote(s.repo.url())).exit_code == 0);
  REQUIRE_OK(s.cli->db().Execute("DELETE FROM project_syncs WHERE project_id = (SELECT id FROM projects WHERE name = 'q')", "orphan"));
  CliResult verify = s.cli->Run("verify");
  CHECK(verify.exit_code == 1);
  CHECK_THAT(verify.out, Catch::Contains("project q has no project_syncs row"));

  CliResult backfill = s.cli->Run("backfill");
  CHECK(backfill.exit_code == 0);
  CHECK_THAT(backfill.out, Catch::Contains("project q"));
  CHECK(s.cli->Count("SELECT COUNT(*) FROM project_syncs") == 2);
  CHECK(s.cli->Text("SELECT status FROM project_syncs WHERE project_id = (SELECT id FROM projects WHERE name = 'q')") ==
        "needs_setup");
  CHECK_THAT(s.cli->Run("backfill").out, Catch::Contains("nothing to backfill"));
  CHECK(s.cli->Run("verify").exit_code == 0);
}

TEST_CASE("verify names a project whose synced commit the repository lost") {
  Synced s;
  s.repo.Git("checkout -q --orphan rewritten");
  s.repo.Write("new.txt", "new\n");
  s.repo.Commit("history rewritten");
  s.repo.Git("branch -D main");
  s.repo.Git("branch -m main");
  s.repo.Git("reflog expire --expire=now --all");
  s.repo.Git("gc --prune=now --quiet");
  CliResult verify = s.cli->Run("verify");
  CHECK(verify.exit_code == 1);
  CHECK_THAT(verify.out, Catch::Contains("project p") && Catch::Contains("no longer has the synced commit") &&
                             Catch::Contains("2 documents"));
}

TEST_CASE("verify reports a protected column that is gone even after syncs") {
  Synced s;
  REQUIRE_OK(s.cli->db().Execute("ALTER TABLE documents DROP COLUMN embedding", "drop behind tether's back"));
  CliResult verify = s.cli->Run("verify");
  CHECK(verify.exit_code == 1);
  CHECK_THAT(verify.out, Catch::Contains("documents.embedding: the column is gone"));
}

TEST_CASE("verify --deep names every stored row that differs from the synced commit's tree") {
  Synced s;
  s.repo.Write("tool.sh", "#!/bin/sh\n", true);
  s.repo.Write(std::string("bad-\xff.txt"), "refused, so never stored\n");
  s.repo.Commit("second");
  REQUIRE(s.cli->Run("sync p").exit_code == 0);
  CliResult clean = s.cli->Run("verify --deep");
  INFO(clean.out);
  CHECK(clean.exit_code == 0);  // the refused path is not a difference

  // Four kinds of divergence, made behind tether's back.
  REQUIRE_OK(s.cli->db().Execute("DELETE FROM documents WHERE path = 'a.txt'", "lose a row"));
  REQUIRE_OK(s.cli->db().Execute("UPDATE documents SET path = 'stale.txt' WHERE path = 'b/c.txt'", "a row the tree lacks"));
  REQUIRE_OK(s.cli->db().Execute("INSERT INTO documents (project_id, path, blob_sha, mode, kind, size, updated_commit, updated_at)"
                                 " SELECT project_id, 'b/c.txt', '0123456789012345678901234567890123456789', mode, kind, 2,"
                                 " updated_commit, updated_at FROM documents WHERE path = 'stale.txt'",
                                 "a row with another blob"));
  REQUIRE_OK(s.cli->db().Execute("UPDATE documents SET mode = 33188, kind = 'file' WHERE path = 'tool.sh'", "another mode"));

  CHECK(s.cli->Run("verify").exit_code == 0);  // without --deep, rows are not compared
  CliResult deep = s.cli->Run("verify --deep");
  INFO(deep.out);
  CHECK(deep.exit_code == 1);
  CHECK_THAT(deep.out, Catch::Contains("\"a.txt\" is in the tree at"));
  CHECK_THAT(deep.out, Catch::Contains("\"stale.txt\" is stored but not in the tree"));
  CHECK_THAT(deep.out, Catch::Contains("\"b/c.txt\" is stored with blob 0123456789012345678901234567890123456789"));
  CHECK_THAT(deep.out, Catch::Contains("\"tool.sh\" is stored with mode 100644 (file); the tree at") &&
                           Catch::Contains("has 100755 (executable)"));
  auto report = s.cli->Json("verify --deep");
  CHECK_FALSE(report["ok"].GetBool());
  CHECK(report["problems"].Size() == 4);
}

// tether verify and tether backfill: what an operator runs after deploying a
// migration.
#include <catch2/catch.hpp>

#include "cli_harness.h"

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
  s.cli->db().Execute("DELETE FROM project_syncs WHERE project_id = (SELECT id FROM projects WHERE name = 'q')", "orphan");
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
  s.cli->db().Execute("ALTER TABLE documents DROP COLUMN embedding", "drop behind tether's back");
  CliResult verify = s.cli->Run("verify");
  CHECK(verify.exit_code == 1);
  CHECK_THAT(verify.out, Catch::Contains("documents.embedding: the column is gone"));
}

// EventLog's batch delay and Flush on the caller's connection (what a CLI
// sync uses): events held back for the delay, then written by the writer on
// a connection of its own; or, when the process flushes first, on the
// caller's connection, in order, without the writer ever connecting. On the
// real database (SQLite, and PostgreSQL in the second registration).
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>
#include <vector>

#include "engine/cli/cli_harness.h"
#include "engine/sync/event_log.h"
#include "support/status_checks.h"

namespace tether::testing {
namespace {

using namespace std::chrono_literals;

long long AddProject(TetherCli& cli, const GitRepo& repo) {
  CliResult added = cli.Run("project add p --repo " + ShellQuote(repo.url()));
  INFO(added.err);
  REQUIRE(added.exit_code == 0);
  return cli.Count("SELECT id FROM projects WHERE name = 'p'");
}

void EmitPhases(sync::EventLog& log, long long project, int count) {
  for (int i = 0; i < count; ++i) {
    sync::Event event;
    event.project_id = project;
    event.body = sync::PhaseStarted{sync::Phase::kDiscover};
    log.Emit(std::move(event));
  }
}

}  // namespace

TEST_CASE("with a batch delay, Flush writes the held events on the caller's connection, in order") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  repo.Write("x.txt", "x\n");
  repo.Commit("first");
  TetherCli cli(dir.path());
  const long long project = AddProject(cli, repo);

  sync::EventLog log(cli.db_url());
  log.SetBatchDelay(30s);
  std::vector<int64_t> ids;
  std::vector<uint64_t> seqs;
  log.AddPersistedListener([&](const std::vector<sync::PersistedEvent>& batch) {
    for (const sync::PersistedEvent& e : batch) {
      ids.push_back(e.id);
      seqs.push_back(e.event.seq);
    }
  });
  EmitPhases(log, project, 5);
  std::this_thread::sleep_for(200ms);
  CHECK(cli.Count("SELECT COUNT(*) FROM events") == 0);  // held for the delay

  REQUIRE_OK(log.Flush(&cli.db()));
  CHECK(cli.Count("SELECT COUNT(*) FROM events WHERE type = 'phase.started'") == 5);
  CHECK(log.writer_connections() == 0);
  CHECK(seqs == std::vector<uint64_t>{1, 2, 3, 4, 5});
  REQUIRE(ids.size() == 5);
  for (size_t i = 1; i < ids.size(); ++i) CHECK(ids[i] > ids[i - 1]);

  // Later events go the same way, after the first ones.
  EmitPhases(log, project, 2);
  REQUIRE_OK(log.Flush(&cli.db()));
  CHECK(cli.Count("SELECT COUNT(*) FROM events") == 7);
  CHECK(seqs.size() == 7);
  CHECK(log.writer_connections() == 0);
}

TEST_CASE("with a batch delay and no Flush, the writer writes the batch on its own connection after the delay") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  repo.Write("x.txt", "x\n");
  repo.Commit("first");
  TetherCli cli(dir.path());
  const long long project = AddProject(cli, repo);

  sync::EventLog log(cli.db_url());
  log.SetBatchDelay(50ms);
  EmitPhases(log, project, 3);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (cli.Count("SELECT COUNT(*) FROM events") < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  CHECK(cli.Count("SELECT COUNT(*) FROM events") == 3);
  CHECK(log.writer_connections() == 1);
  REQUIRE_OK(log.Flush());  // nothing left: returns at once
  CHECK(cli.Count("SELECT COUNT(*) FROM events") == 3);
}

}  // namespace tether::testing

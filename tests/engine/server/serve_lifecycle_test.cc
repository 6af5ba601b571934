// tether serve's lifecycle around syncs: one run per project (asks during
// it make one run after it), a sync that finds no free worker waiting in
// the database, and a graceful shutdown on SIGTERM that cancels a sync in
// the middle of its write transaction (it rolls back) and exits 0, or exits
// 1 once server.shutdown_grace_seconds have passed. Syncs are held at a
// known point with the gated test provider (fixtures/gated_provider.cc).

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

#include "serve_harness.h"

using tether::testing::CliResult;
using tether::testing::Eventually;
using tether::testing::HttpReply;
using tether::testing::RunCommand;
using tether::testing::ServeEnv;
using tether::testing::ServeProcess;
using tether::testing::ShellQuote;

namespace fs = std::filesystem;

namespace {

std::string Str(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject() || !v.HasMember(key) || !v[key].IsString()) return "<absent>";
  return v[key].GetString();
}

void Hold(const fs::path& gate, const std::string& where) { std::ofstream(gate / ("hold-" + where)) << "1"; }
void Release(const fs::path& gate, const std::string& where) { fs::remove(gate / ("hold-" + where)); }
bool Reached(const fs::path& gate, const std::string& where) { return fs::exists(gate / ("in-" + where)); }

struct Held {
  Held(ServeEnv& env, ServeProcess& server, std::string token) : env(env), server(server), token(std::move(token)) {}

  HttpReply Call(const std::string& method, const std::string& target, const std::string& body = "") {
    return server.client().Send(method, target, body, {{"Authorization", "Bearer " + token}});
  }
  // Adds a project on the gated provider; returns its gate folder.
  fs::path AddProject(const std::string& name, int files = 20) {
    fs::path gate = env.GateDir("gate-" + name, files);
    HttpReply added = Call("POST", "/api/v1/projects",
                           "{\"name\": \"" + name + "\", \"repo\": \"" + gate.string() +
                               "\", \"provider\": \"gated-provider\"}");
    INFO(added.body);
    REQUIRE(added.status == 201);
    return gate;
  }
  int64_t StartSync(const std::string& name) {
    HttpReply accepted = Call("POST", "/api/v1/projects/" + name + "/sync");
    INFO(accepted.body);
    REQUIRE(accepted.status == 202);
    return accepted.Json()["run_id"].GetInt64();
  }
  std::string Outcome(int64_t run_id) {
    return env.cli().Text("SELECT outcome FROM sync_runs WHERE id = " + std::to_string(run_id));
  }

  ServeEnv& env;
  ServeProcess& server;
  std::string token;
};

}  // namespace

TEST_CASE("syncs asked for while one runs make one run after it (409 on SQLite), and the first completes") {
  ServeEnv env;
  ServeProcess server(env.config());
  Held h(env, server, env.Token("ci"));
  fs::path gate = h.AddProject("p");
  Hold(gate, "discover");
  const int64_t first = h.StartSync("p");
  REQUIRE(Eventually([&] { return Reached(gate, "discover"); }));

  // On PostgreSQL the asks are kept for one run after this one; on SQLite
  // (whose one write lock a running write holds) they are refused at once.
  const bool postgres = env.cli().postgres();
  for (int ask = 0; ask < 3; ++ask) {
    HttpReply asked = h.Call("POST", "/api/v1/projects/p/sync");
    INFO(asked.body);
    if (postgres) {
      CHECK(asked.status == 202);
      CHECK(asked.Json()["queued"].GetBool());
    } else {
      CHECK(asked.status == 409);
      CHECK_THAT(Str(asked.Json(), "detail"), Catch::Contains("already being synced"));
    }
  }
  // The CLI runs in place, so it is refused: the same lease.
  CliResult cli = env.cli().Run("sync p");
  CHECK(cli.exit_code == 3);
  // Nor can the project be deleted under the running sync.
  CHECK(h.Call("DELETE", "/api/v1/projects/p").status == 409);
  rapidjson::Document status = h.Call("GET", "/api/v1/status").Json();
  CHECK(status["syncs"]["running"].GetInt() == 1);
  CHECK(h.Outcome(first) == "running");

  Release(gate, "discover");
  REQUIRE(Eventually([&] { return h.Outcome(first) == "succeeded"; }));
  CHECK(env.cli().Count("SELECT COUNT(*) FROM documents") == 20);
  if (!postgres) {
    ::usleep(1500 * 1000);
    CHECK(env.cli().Count("SELECT COUNT(*) FROM sync_runs") == 1);
    h.StartSync("p");  // the lease is free again
  }
  // Three asks during the run: one run after it, and no more.
  REQUIRE(Eventually([&] { return env.cli().Count("SELECT COUNT(*) FROM sync_runs WHERE outcome = 'noop'") == 1; }));
  ::usleep(1500 * 1000);
  CHECK(env.cli().Count("SELECT COUNT(*) FROM sync_runs") == 2);
  const std::string second = env.cli().Text("SELECT id FROM sync_runs WHERE outcome = 'noop'");
  CHECK(env.cli().Text("SELECT trigger FROM sync_runs WHERE outcome = 'noop'") == "api");
  CHECK(server.Stop() == 0);
  // Each finished run is a line of the server's log.
  CHECK_THAT(server.Stderr(), Catch::Contains("run " + std::to_string(first) + " of p (api): succeeded, full, 20 added"));
  CHECK_THAT(server.Stderr(), Catch::Contains("run " + second + " of p (api): noop, noop"));
}

TEST_CASE("a server killed during a sync leaves no lease behind: the next server syncs at once") {
  ServeEnv env;
  const std::string token = env.Token("ci");
  fs::path gate;
  int64_t first = 0;
  {
    ServeProcess server(env.config());
    Held h(env, server, token);
    gate = h.AddProject("p");
    Hold(gate, "discover");
    first = h.StartSync("p");
    REQUIRE(Eventually([&] { return Reached(gate, "discover"); }));
    CHECK(server.Stop(SIGKILL) == 128 + SIGKILL);
  }
  Release(gate, "discover");
  // The killed server's lease is still there, live for another hour.
  CHECK(env.cli().Count("SELECT COUNT(*) FROM project_syncs WHERE lease_owner IS NOT NULL") == 1);
  CHECK(env.cli().Text("SELECT outcome FROM sync_runs WHERE id = " + std::to_string(first)) == "running");

  // The next server puts it right as it starts: the run is interrupted, the
  // project failed with the reason, the lease free.
  ServeProcess server(env.config());
  Held h(env, server, token);
  CHECK(h.Outcome(first) == "interrupted");
  CHECK(env.cli().Count("SELECT COUNT(*) FROM project_syncs WHERE lease_owner IS NOT NULL") == 0);
  rapidjson::Document project = h.Call("GET", "/api/v1/projects/p").Json();
  CHECK(Str(project, "status") == "failed");
  CHECK_THAT(Str(project, "last_error"), Catch::Contains("interrupted"));
  CHECK_THAT(server.Stderr(), Catch::Contains("project p: its last run was interrupted"));
  const int64_t second = h.StartSync("p");
  REQUIRE(Eventually([&] { return h.Outcome(second) != "running"; }));
  CHECK(h.Outcome(second) == "succeeded");
  CHECK(env.cli().Count("SELECT COUNT(*) FROM documents") == 20);
  CHECK(server.Stop() == 0);
}

namespace {

// Starts `tether sync NAME` in the background, waits until it holds the
// gated project in discover, and kills it with SIGKILL.
void KillSyncInDiscover(ServeEnv& env, const fs::path& gate, const std::string& name) {
  fs::remove(gate / "in-discover");
  Hold(gate, "discover");
  const std::string pid = RunCommand("(" + ShellQuote(TETHER_BIN) + " --config " + ShellQuote(env.config().string()) +
                                     " sync " + name + " >/dev/null 2>&1 & echo $!)");
  REQUIRE(Eventually([&] { return Reached(gate, "discover"); }));
  REQUIRE(::kill(std::stoi(pid), SIGKILL) == 0);
  // kill returns before the process is dead: wait until it has ended (gone,
  // or a zombie its parent, init, has not reaped yet).
  REQUIRE(Eventually([&] {
    std::ifstream stat("/proc/" + std::to_string(std::stoi(pid)) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return true;
    const size_t close = line.rfind(')');
    return close != std::string::npos && line.compare(close + 1, 3, " Z ") == 0;
  }));
  Release(gate, "discover");
}

}  // namespace

TEST_CASE("a sync killed by SIGKILL holds no lease: the next sync takes it over at once") {
  ServeEnv env;
  ServeProcess server(env.config());
  Held h(env, server, env.Token("ci"));
  fs::path gate = h.AddProject("p");
  KillSyncInDiscover(env, gate, "p");
  CHECK(env.cli().Count("SELECT COUNT(*) FROM project_syncs WHERE lease_owner IS NOT NULL") == 1);
  const int64_t killed = env.cli().Count("SELECT MAX(id) FROM sync_runs");

  // The running server's next sync of p takes the dead process's lease over.
  const int64_t next = h.StartSync("p");
  REQUIRE(Eventually([&] { return h.Outcome(next) != "running"; }));
  CHECK(h.Outcome(next) == "succeeded");
  CHECK(h.Outcome(killed) == "interrupted");
  CHECK(env.cli().Count("SELECT COUNT(*) FROM documents") == 20);

  // Killed again: the CLI's next sync of p takes the lease over too.
  KillSyncInDiscover(env, gate, "p");
  const int64_t killed_again = env.cli().Count("SELECT MAX(id) FROM sync_runs");
  CliResult again = env.cli().Run("sync p");
  INFO(again.err);
  CHECK(again.exit_code == 0);
  CHECK(h.Outcome(killed_again) == "interrupted");
  CHECK(env.cli().Count("SELECT COUNT(*) FROM sync_runs WHERE outcome = 'running'") == 0);
  CHECK(server.Stop() == 0);
}

TEST_CASE("SIGTERM during a write cancels the sync: it rolls back, is recorded cancelled and the server exits 0") {
  ServeEnv env;
  ServeProcess server(env.config());
  Held h(env, server, env.Token("ci"));
  fs::path gate = h.AddProject("p", 3000);
  // Every blob read takes 2 ms (the delay applies before hold-after): a
  // write of seconds, in one open transaction.
  std::ofstream(gate / "hold-after") << 1000000;
  std::ofstream(gate / "blob-delay-ms") << 2;
  const int64_t run = h.StartSync("p");
  REQUIRE(Eventually([&] { return Reached(gate, "read"); }));
  ::usleep(300 * 1000);  // part of the files are written, not committed

  const auto signalled = std::chrono::steady_clock::now();
  server.Signal(SIGTERM);
  CHECK(server.Wait(20) == 0);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - signalled);
  WARN("SIGTERM to exit with a sync in its write: " << took.count() << " ms");
  CHECK(took.count() < 5000);  // the 3000 files would take 6 s
  CHECK(h.Outcome(run) == "cancelled");
  CHECK_THAT(env.cli().Text("SELECT error FROM sync_runs WHERE id = " + std::to_string(run)),
             Catch::Contains("cancelled by SIGTERM"));
  CHECK(env.cli().Count("SELECT COUNT(*) FROM documents") == 0);
  CHECK(env.cli().Count("SELECT COUNT(*) FROM storage_cursors") == 0);
  CHECK(env.cli().Count("SELECT COUNT(*) FROM project_syncs WHERE lease_owner IS NULL") == 1);
  CHECK_THAT(server.Stderr(), Catch::Contains("SIGTERM: shutting down; 1 sync(s) running are cancelled"));

  // The next server syncs it whole.
  fs::remove(gate / "blob-delay-ms");
  ServeProcess again(env.config());
  Held h2(env, again, env.Token("ci2"));
  const int64_t next = h2.StartSync("p");
  REQUIRE(Eventually([&] { return h2.Outcome(next) != "running"; }));
  CHECK(h2.Outcome(next) == "succeeded");
  CHECK(env.cli().Count("SELECT COUNT(*) FROM documents") == 3000);
  CHECK(again.Stop() == 0);
}

TEST_CASE("a sync that does not stop within shutdown_grace_seconds is left behind: exit 1 in time, interrupted at the next start") {
  ServeEnv env(R"("shutdown_grace_seconds": 2)");
  ServeProcess server(env.config());
  Held h(env, server, env.Token("ci"));
  fs::path gate = h.AddProject("p", 50);
  Hold(gate, "write");  // a blob read that never returns, as a provider call stuck on the network
  const int64_t run = h.StartSync("p");
  REQUIRE(Eventually([&] { return Reached(gate, "write"); }));

  const auto signalled = std::chrono::steady_clock::now();
  server.Signal(SIGTERM);
  ::usleep(500 * 1000);
  // A second signal does not cut the grace short.
  server.Signal(SIGTERM);
  ::usleep(500 * 1000);
  CHECK(server.Running());
  CHECK(server.Wait(20) == 1);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - signalled);
  CHECK(took.count() >= 2000);
  CHECK(took.count() < 6000);
  CHECK_THAT(server.Stderr(), Catch::Contains("the shutdown took longer than 2 s (1 sync(s) still running)"));
  CHECK(env.cli().Count("SELECT COUNT(*) FROM documents") == 0);

  Release(gate, "write");
  ServeProcess next(env.config());
  REQUIRE(Eventually([&] { return h.Outcome(run) != "running"; }));
  CHECK(h.Outcome(run) == "interrupted");
  CHECK(env.cli().Count("SELECT COUNT(*) FROM project_syncs WHERE lease_owner IS NULL") == 1);
  CHECK(next.Stop() == 0);
}

TEST_CASE("SIGINT cancels the running sync and records queued ones as interrupted") {
  ServeEnv env(R"("sync_workers": 1, "sync_queue": 4)");
  ServeProcess server(env.config());
  Held h(env, server, env.Token("ci"));
  fs::path first_gate = h.AddProject("first");
  h.AddProject("second");
  Hold(first_gate, "discover");
  const int64_t first = h.StartSync("first");
  REQUIRE(Eventually([&] { return Reached(first_gate, "discover"); }));
  const int64_t second = h.StartSync("second");  // waits for the only worker
  CHECK(h.Outcome(second) == "running");
  rapidjson::Document status = h.Call("GET", "/api/v1/status").Json();
  CHECK(status["syncs"]["queued"].GetInt() == 1);

  server.Signal(SIGINT);
  ::usleep(300 * 1000);
  CHECK(server.Running());  // the first run waits in its provider's call
  Release(first_gate, "discover");
  CHECK(server.Wait(60) == 0);
  // The running one is cancelled at its next check, the queued one never ran.
  CHECK(h.Outcome(first) == "cancelled");
  CHECK_THAT(env.cli().Text("SELECT error FROM sync_runs WHERE id = " + std::to_string(first)),
             Catch::Contains("cancelled by SIGINT"));
  CHECK(h.Outcome(second) == "interrupted");
  CHECK_THAT(env.cli().Text("SELECT error FROM sync_runs WHERE id = " + std::to_string(second)),
             Catch::Contains("shut down before the run started"));
  CHECK(env.cli().Count("SELECT COUNT(*) FROM project_syncs WHERE lease_owner IS NOT NULL") == 0);
  CHECK(env.cli().Count("SELECT COUNT(*) FROM documents d JOIN projects p ON p.id = d.project_id"
                        " WHERE p.name = 'second'") == 0);
}

TEST_CASE("a sync asked for while every sync worker is busy waits in the database, and runs when one is free") {
  ServeEnv env(R"("sync_workers": 1, "sync_queue": 0)");
  ServeProcess server(env.config());
  Held h(env, server, env.Token("ci"));
  fs::path gate = h.AddProject("first");
  h.AddProject("second");
  Hold(gate, "discover");
  h.StartSync("first");
  REQUIRE(Eventually([&] { return Reached(gate, "discover"); }));
  HttpReply queued = h.Call("POST", "/api/v1/projects/second/sync");
  INFO(queued.body);
  CHECK(queued.status == 202);
  CHECK(queued.Json()["queued"].GetBool());
  CHECK(queued.Json()["run_id"].IsNull());
  // Asking again while it waits changes nothing: one request, one run.
  CHECK(h.Call("POST", "/api/v1/projects/second/sync").status == 202);
  CHECK(env.cli().Count("SELECT COUNT(*) FROM sync_runs r JOIN projects p ON p.id = r.project_id"
                        " WHERE p.name = 'second'") == 0);
  CHECK(env.cli().Count("SELECT COUNT(*) FROM project_syncs s JOIN projects p ON p.id = s.project_id"
                        " WHERE p.name = 'second' AND s.lease_owner IS NULL AND s.sync_requested_at IS NOT NULL") == 1);
  Release(gate, "discover");
  REQUIRE(Eventually([&] {
    return env.cli().Count("SELECT COUNT(*) FROM sync_runs r JOIN projects p ON p.id = r.project_id"
                           " WHERE p.name = 'second' AND r.outcome = 'succeeded'") == 1;
  }));
  CHECK(env.cli().Count("SELECT COUNT(*) FROM sync_runs r JOIN projects p ON p.id = r.project_id"
                        " WHERE p.name = 'second'") == 1);
  CHECK(env.cli().Text("SELECT r.trigger FROM sync_runs r JOIN projects p ON p.id = r.project_id"
                       " WHERE p.name = 'second'") == "api");
  CHECK(server.Stop() == 0);
}

TEST_CASE("SIGTERM on an idle server exits 0 and closes keep-alive connections") {
  ServeEnv env;
  ServeProcess server(env.config());
  CHECK(server.client().Send("GET", "/healthz").status == 200);
  CHECK(server.Stop(SIGTERM, 20) == 0);
  CHECK_THAT(server.Stderr(), Catch::Contains("stopped"));
}

TEST_CASE("serve refuses a listen address it cannot use") {
  ServeEnv env;
  CliResult nonsense = env.cli().Run("serve --listen nonsense");
  CHECK(nonsense.exit_code == 2);
  CHECK_THAT(nonsense.err, Catch::Contains("must be HOST:PORT"));
  CliResult host = env.cli().Run("serve --listen localhost:80");
  CHECK(host.exit_code == 2);
  CHECK_THAT(host.err, Catch::Contains("is not an IP address"));
  ServeProcess first(env.config());
  CliResult taken = env.cli().Run("serve --listen 127.0.0.1:" + std::to_string(first.port()));
  CHECK(taken.exit_code == 1);
  CHECK_THAT(taken.err, Catch::Contains("cannot listen on"));
}

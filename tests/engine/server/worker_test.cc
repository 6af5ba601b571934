// tether worker and tether serve --workers 0 end to end, on SQLite and
// PostgreSQL: syncs asked for wait in the database until a worker takes
// them, requests go before schedules, a stopping worker hands its run back
// to another, `tether workers` and GET /api/v1/workers list the live ones.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "serve_harness.h"

using tether::testing::Eventually;
using tether::testing::HttpReply;
using tether::testing::ServeEnv;
using tether::testing::ServeProcess;
using tether::testing::WorkerProcess;

namespace fs = std::filesystem;

namespace {

bool Reached(const fs::path& gate, const std::string& where) { return fs::exists(gate / ("in-" + where)); }

// An API-only server (`--workers 0`) and its token.
struct ApiOnly {
  explicit ApiOnly(ServeEnv& env)
      : env(env), server(env.config(), "127.0.0.1:0", {}, {"--workers", "0"}), token(env.Token("ops")) {}

  HttpReply Call(const std::string& method, const std::string& target, const std::string& body = "") {
    return server.client().Send(method, target, body, {{"Authorization", "Bearer " + token}});
  }
  fs::path AddProject(const std::string& name, const std::string& schedule = "off", int files = 5) {
    fs::path gate = env.GateDir("gate-" + name, files);
    HttpReply added = Call("POST", "/api/v1/projects",
                           "{\"name\": \"" + name + "\", \"repo\": \"" + gate.string() +
                               "\", \"provider\": \"gated-provider\", \"schedule\": \"" + schedule + "\"}");
    INFO(added.body);
    REQUIRE(added.status == 201);
    return gate;
  }
  // Asks for a sync: with no worker in the server it is queued.
  void RequestSync(const std::string& name) {
    HttpReply accepted = Call("POST", "/api/v1/projects/" + name + "/sync");
    INFO(accepted.body);
    REQUIRE(accepted.status == 202);
    REQUIRE(accepted.Json()["queued"].GetBool());
    REQUIRE(accepted.Json()["run_id"].IsNull());
  }
  long long Runs(const std::string& where) {
    return env.cli().Count("SELECT COUNT(*) FROM sync_runs r JOIN projects p ON p.id = r.project_id WHERE " + where);
  }

  ServeEnv& env;
  ServeProcess server;
  std::string token;
};

}  // namespace

TEST_CASE("serve --workers 0 queues a requested sync in the database, and a tether worker runs it") {
  // Beats every second: the worker's counters reach /metrics soon.
  ServeEnv env("", "", "", R"("lease_timeout_seconds": 3)");
  ApiOnly api(env);
  api.AddProject("queued");
  api.RequestSync("queued");
  HttpReply project = api.Call("GET", "/api/v1/projects/queued");
  CHECK(project.Json()["sync_requested"].GetBool());
  CHECK(project.Json()["worker"].IsNull());
  // Nothing in the server runs it; /metrics shows it waiting.
  ::usleep(1500 * 1000);
  CHECK(api.Runs("p.name = 'queued'") == 0);
  CHECK_THAT(api.server.client().Send("GET", "/metrics").body,
             Catch::Contains("\ntether_sync_queue_depth 1\n") && Catch::Contains("\ntether_workers 0\n"));

  WorkerProcess worker(env.config(), {"--concurrency", "1"});
  REQUIRE(Eventually([&] { return api.Runs("p.name = 'queued' AND r.outcome = 'succeeded'") == 1; }));
  CHECK(env.cli().Text("SELECT r.trigger FROM sync_runs r") == "api");
  CHECK(env.cli().Text("SELECT r.worker FROM sync_runs r") == worker.id());
  CHECK(env.cli().Count("SELECT COUNT(*) FROM documents") == 5);
  project = api.Call("GET", "/api/v1/projects/queued");
  CHECK_FALSE(project.Json()["sync_requested"].GetBool());
  HttpReply runs = api.Call("GET", "/api/v1/projects/queued/runs");
  REQUIRE(runs.Json()["runs"].Size() == 1);
  CHECK(std::string(runs.Json()["runs"][0]["worker"].GetString()) == worker.id());
  const std::string counted = "\ntether_worker_syncs_total{worker=\"" + worker.id() + "\",kind=\"worker\"} 1\n";
  CHECK(Eventually([&] { return api.server.client().Send("GET", "/metrics").body.find(counted) != std::string::npos; }, 10));
  CHECK_THAT(api.server.client().Send("GET", "/metrics").body, Catch::Contains("\ntether_sync_queue_depth 0\n"));
  CHECK(worker.Stop(SIGTERM) == 0);
  CHECK_THAT(worker.Stderr(), Catch::Contains("stopped"));
}

TEST_CASE("a worker runs requested syncs before scheduled ones") {
  ServeEnv env;
  ApiOnly api(env);
  // Due at once (never scheduled yet), but only scheduled.
  api.AddProject("scheduled", "1h");
  api.AddProject("asked");
  api.RequestSync("asked");
  WorkerProcess worker(env.config(), {"--concurrency", "1"});
  REQUIRE(Eventually([&] { return api.Runs("r.outcome = 'succeeded'") == 2; }));
  // One at a time: the request first, then the schedule.
  CHECK(env.cli().Text("SELECT p.name FROM sync_runs r JOIN projects p ON p.id = r.project_id ORDER BY r.id LIMIT 1") ==
        "asked");
  CHECK(api.Runs("p.name = 'asked' AND r.trigger = 'api'") == 1);
  CHECK(api.Runs("p.name = 'scheduled' AND r.trigger = 'schedule'") == 1);
  CHECK(worker.Stop(SIGTERM) == 0);
}

TEST_CASE("tether workers lists a live worker with the project it runs, and SIGTERM hands the run to another worker") {
  ServeEnv env;
  ApiOnly api(env);
  // Made first: on SQLite the held write keeps every other writer out.
  tether::testing::CliResult made = env.cli().Run("token create --name root --admin");
  REQUIRE(made.exit_code == 0);
  const std::string secret = made.out.substr(0, made.out.find('\n'));
  fs::path gate = api.AddProject("held", "off", 3000);
  // Every blob read takes 2 ms: a write of seconds, in one open transaction.
  std::ofstream(gate / "hold-after") << 1000000;
  std::ofstream(gate / "blob-delay-ms") << 2;
  api.RequestSync("held");
  auto first = std::make_unique<WorkerProcess>(env.config(), std::vector<std::string>{"--concurrency", "2"});
  REQUIRE(Eventually([&] { return Reached(gate, "read"); }));

  rapidjson::Document listed = env.cli().Json("workers");
  REQUIRE(listed["workers"].Size() == 1);
  const rapidjson::Value& live = listed["workers"][0];
  CHECK(std::string(live["id"].GetString()) == first->id());
  CHECK(std::string(live["kind"].GetString()) == "worker");
  CHECK(live["concurrency"].GetInt() == 2);
  CHECK(live["pid"].GetInt64() == first->pid());
  REQUIRE(live["projects"].Size() == 1);
  CHECK(std::string(live["projects"][0].GetString()) == "default/held");
  // The same through the API, for admin tokens only (api.token is a tenant's).
  HttpReply refused = api.Call("GET", "/api/v1/workers");
  CHECK(refused.status == 403);
  HttpReply workers = api.server.client().Send("GET", "/api/v1/workers", "", {{"Authorization", "Bearer " + secret}});
  INFO(workers.body);
  CHECK(workers.status == 200);
  CHECK_THAT(workers.body, Catch::Contains("default/held"));
  HttpReply project = api.Call("GET", "/api/v1/projects/held");
  CHECK(std::string(project.Json()["worker"].GetString()) == first->id());

  // Stopping: the write rolls back, the project is asked for again.
  CHECK(first->Stop(SIGTERM, 30) == 0);
  CHECK_THAT(first->Stderr(), Catch::Contains("handed back"));
  CHECK(api.Runs("r.outcome = 'cancelled'") == 1);
  CHECK(env.cli().Count("SELECT COUNT(*) FROM documents") == 0);
  CHECK(env.cli().Count("SELECT COUNT(*) FROM project_syncs WHERE sync_requested_at IS NOT NULL") == 1);
  CHECK(env.cli().Json("workers")["workers"].Size() == 0);

  fs::remove(gate / "blob-delay-ms");
  WorkerProcess second(env.config(), {"--concurrency", "1"});
  REQUIRE(Eventually([&] { return api.Runs("r.outcome = 'succeeded'") == 1; }));
  CHECK(env.cli().Text("SELECT worker FROM sync_runs WHERE outcome = 'succeeded'") == second.id());
  CHECK(env.cli().Text("SELECT trigger FROM sync_runs WHERE outcome = 'succeeded'") == "api");
  CHECK(env.cli().Count("SELECT COUNT(*) FROM documents") == 3000);
  CHECK(second.Stop(SIGTERM) == 0);
}

namespace {

// The scheduled runs of `name` so far: when each started and finished
// (seconds, as the database's clock wrote them) and whether it moved.
struct TimedRun {
  double started = 0, finished = 0;
  std::string outcome;
};

std::vector<TimedRun> ScheduledRuns(ServeEnv& env, const std::string& name) {
  std::vector<TimedRun> runs;
  const long long count = env.cli().Count(
      "SELECT COUNT(*) FROM sync_runs r JOIN projects p ON p.id = r.project_id WHERE p.name = '" + name +
      "' AND r.trigger = 'schedule' AND r.finished_at IS NOT NULL");
  for (long long k = 0; k < count; ++k) {
    const std::string row = " FROM sync_runs r JOIN projects p ON p.id = r.project_id WHERE p.name = '" + name +
                            "' AND r.trigger = 'schedule' AND r.finished_at IS NOT NULL ORDER BY r.id LIMIT 1 OFFSET " +
                            std::to_string(k);
    TimedRun run;
    // "2026-12-03T14:02:55.248Z": seconds within the day are enough here.
    auto seconds = [](const std::string& iso) {
      return std::stod(iso.substr(11, 2)) * 3600 + std::stod(iso.substr(14, 2)) * 60 + std::stod(iso.substr(17, 6));
    };
    run.started = seconds(env.cli().Text("SELECT r.started_at" + row));
    run.finished = seconds(env.cli().Text("SELECT r.finished_at" + row));
    run.outcome = env.cli().Text("SELECT r.outcome" + row);
    runs.push_back(run);
  }
  return runs;
}

}  // namespace

TEST_CASE("a fixed interval fires on time, within its spread, on a worker") {
  ServeEnv env("", "", "", R"("poll_ms": 100)");
  tether::testing::GitRepo repo(env.dir() / "repo");
  repo.Write("a.txt", "a\n");
  repo.Commit("first");
  REQUIRE(env.cli().Run("project add timed --repo " + repo.path().string() + " --every 2s").exit_code == 0);
  WorkerProcess worker(env.config(), {"--concurrency", "1"});
  REQUIRE(Eventually([&] { return ScheduledRuns(env, "timed").size() >= 5; }, 30));
  CHECK(worker.Stop(SIGTERM) == 0);
  const std::vector<TimedRun> runs = ScheduledRuns(env, "timed");
  for (size_t k = 1; k < runs.size(); ++k) {
    // Due 2 s after the last run ended, spread by 10% either way; times are
    // stored in whole seconds (up to 1 s early or late) and looked for
    // every 100 ms.
    const double gap = runs[k].started - runs[k - 1].finished;
    INFO("run " << k << " started " << gap << " s after the one before ended");
    CHECK(gap >= 0.8);
    CHECK(gap <= 3.5);
  }
}

TEST_CASE("an adaptive schedule waits longer while a branch is idle, and short again after a push") {
  ServeEnv env("", "", "", R"("poll_ms": 100)",
               R"("schedule_min_interval_seconds": 1, "schedule_max_interval_seconds": 6)");
  tether::testing::GitRepo repo(env.dir() / "repo");
  repo.Write("a.txt", "a\n");
  repo.Commit("first");
  REQUIRE(env.cli().Run("project add idle --repo " + repo.path().string() + " --adaptive").exit_code == 0);
  WorkerProcess worker(env.config(), {"--concurrency", "1"});
  // The first run moves the branch; the noop runs after it wait half the
  // idle time each: 1, 1, 1.5, 2.25, ... seconds, up to 6.
  REQUIRE(Eventually([&] { return ScheduledRuns(env, "idle").size() >= 6; }, 40));
  std::vector<TimedRun> runs = ScheduledRuns(env, "idle");
  CHECK(runs.front().outcome == "succeeded");
  const double early = runs[2].started - runs[1].finished;
  const double late = runs[5].started - runs[4].finished;
  INFO("waits: " << early << " s early on, " << late << " s later");
  CHECK(late > early + 0.5);
  // A push: the run that finds it moves the branch, and the wait after it
  // is the minimum again.
  repo.Write("b.txt", "b\n");
  repo.Commit("push");
  const size_t before = runs.size();
  REQUIRE(Eventually(
      [&] {
        runs = ScheduledRuns(env, "idle");
        for (size_t k = before; k + 1 < runs.size(); ++k) {
          if (runs[k].outcome == "succeeded") return true;
        }
        return false;
      },
      30));
  for (size_t k = before; k + 1 < runs.size(); ++k) {
    if (runs[k].outcome != "succeeded") continue;
    const double wait = runs[k + 1].started - runs[k].finished;
    INFO("wait after the push: " << wait << " s");
    CHECK(wait < late);
    CHECK(wait <= 2.5);
    break;
  }
  CHECK(worker.Stop(SIGTERM) == 0);
}

TEST_CASE("on PostgreSQL a request wakes an idle worker at once (LISTEN/NOTIFY), without waiting for its poll") {
  // A worker that would look only every ten minutes by itself.
  ServeEnv env("", "", "", R"("poll_ms": 600000)");
  if (!env.cli().postgres()) return;  // SQLite has no notifications: workers poll
  ApiOnly api(env);
  api.AddProject("woken");
  WorkerProcess worker(env.config(), {"--concurrency", "1"});
  ::usleep(500 * 1000);  // its first look is over: it waits
  api.RequestSync("woken");
  CHECK(Eventually([&] { return api.Runs("p.name = 'woken' AND r.outcome = 'succeeded'") == 1; }, 10));
  CHECK(worker.Stop(SIGTERM) == 0);
}

TEST_CASE("on PostgreSQL serve and a worker go on working after the server ends every connection they hold") {
  ServeEnv env("", "", "", R"("poll_ms": 200)");
  if (!env.cli().postgres()) return;  // a SQLite file has no server to lose
  ApiOnly api(env);
  api.AddProject("kept");
  WorkerProcess worker(env.config(), {"--concurrency", "1"});
  api.RequestSync("kept");
  REQUIRE(Eventually([&] { return api.Runs("p.name = 'kept' AND r.outcome = 'succeeded'") == 1; }, 20));
  // Every connection open now: the API's, its storage reader's, the
  // worker's (scheduler, listener, runs, events, leases).
  REQUIRE(api.Call("GET", "/api/v1/projects/kept/documents").status == 200);

  // What a server restart (or an administrator) does to them.
  const long long ended = env.cli().Count(
      "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity"
      " WHERE datname = current_database() AND pid <> pg_backend_pid()");
  INFO(ended << " connections ended");
  CHECK(ended >= 4);
  // pg_terminate_backend only signals: the backends are gone when the
  // server no longer lists them.
  REQUIRE(Eventually([&] {
    return env.cli().Count("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
                           " AND pid <> pg_backend_pid()") == 0;
  }, 10));

  // The first calls after it work: each process replaces a connection the
  // server ended before it uses it.
  HttpReply documents = api.Call("GET", "/api/v1/projects/kept/documents");
  INFO(documents.body);
  CHECK(documents.status == 200);
  CHECK(documents.Json()["documents"].Size() == 5);
  api.RequestSync("kept");
  const bool synced = Eventually([&] { return api.Runs("p.name = 'kept' AND r.outcome = 'noop'") == 1; }, 20);
  const std::string log = worker.Stderr();
  INFO(log);
  CHECK(synced);
  CHECK(api.Runs("p.name = 'kept' AND r.outcome NOT IN ('succeeded', 'noop')") == 0);
  // Nothing unformatted from libpq reaches the log.
  CHECK(log.find("FATAL") == std::string::npos);
  CHECK(api.server.Stderr().find("FATAL") == std::string::npos);
  CHECK(worker.Stop(SIGTERM) == 0);
}

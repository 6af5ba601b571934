// Cancelling a running sync: POST /api/v1/projects/{name}/runs/{id}/cancel
// and `tether sync --cancel NAME` against the real `tether serve`, on SQLite
// and PostgreSQL. Syncs are made slow, or held, with the gated test provider
// (fixtures/gated_provider.cc): slow blob reads keep a write transaction
// open for seconds, slow diffs keep a diff going.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "serve_harness.h"

using tether::testing::CliResult;
using tether::testing::Eventually;
using tether::testing::HttpReply;
using tether::testing::ServeEnv;
using tether::testing::ServeProcess;
using tether::testing::TetherProcess;

namespace fs = std::filesystem;

namespace {

std::string Str(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject() || !v.HasMember(key) || !v[key].IsString()) return "<absent>";
  return v[key].GetString();
}

std::string FileText(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void Set(const fs::path& gate, const std::string& control, int value) { std::ofstream(gate / control) << value; }
// Every blob read takes `ms` (the delay applies to the reads before
// hold-after), so that a write of 3000 files lasts seconds.
void SlowReads(const fs::path& gate, int ms) {
  Set(gate, "hold-after", 1000000);
  Set(gate, "blob-delay-ms", ms);
}
void Hold(const fs::path& gate, const std::string& where) { std::ofstream(gate / ("hold-" + where)) << "1"; }
void Release(const fs::path& gate, const std::string& where) { fs::remove(gate / ("hold-" + where)); }
bool Reached(const fs::path& gate, const std::string& where) { return fs::exists(gate / ("in-" + where)); }

long long MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
}

struct Served {
  explicit Served(const std::string& server_json = "")
      : env(server_json), token(env.Token("ci")), server(env.config()) {}

  HttpReply Call(const std::string& method, const std::string& target, const std::string& body = "",
                 const std::string& as = "") {
    return server.client().Send(method, target, body, {{"Authorization", "Bearer " + (as.empty() ? token : as)}});
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
  HttpReply Cancel(const std::string& project, int64_t run_id, const std::string& as = "") {
    return Call("POST", "/api/v1/projects/" + project + "/runs/" + std::to_string(run_id) + "/cancel", "", as);
  }
  std::string Outcome(int64_t run_id) {
    return Text("SELECT outcome FROM sync_runs WHERE id = " + std::to_string(run_id));
  }
  long long Count(const std::string& sql) { return env.cli().Count(sql); }
  std::string Text(const std::string& sql) { return env.cli().Text(sql); }
  // Documents, and cursors pointing anywhere, of the project `name`.
  long long Documents(const std::string& name) {
    return Count("SELECT COUNT(*) FROM documents d JOIN projects p ON p.id = d.project_id WHERE p.name = '" + name +
                 "'");
  }
  long long Cursors(const std::string& name) {
    return Count("SELECT COUNT(*) FROM storage_cursors c JOIN projects p ON p.id = c.project_id WHERE p.name = '" +
                 name + "' AND c.commit_id <> ''");
  }
  bool LeaseFree(const std::string& name) {
    return Count("SELECT COUNT(*) FROM project_syncs s JOIN projects p ON p.id = s.project_id WHERE p.name = '" +
                 name + "' AND s.lease_owner IS NULL") == 1;
  }
  const char* Database() { return env.cli().postgres() ? "PostgreSQL" : "SQLite"; }

  ServeEnv env;
  std::string token;
  ServeProcess server;
};

}  // namespace

TEST_CASE("the API cancels a sync in the middle of its write: nothing is written and the next sync works") {
  Served s;
  const fs::path gate = s.AddProject("p", 3000);
  SlowReads(gate, 2);  // seconds of writing, in one open transaction
  const int64_t run = s.StartSync("p");
  REQUIRE(Eventually([&] { return Reached(gate, "read"); }));
  ::usleep(300 * 1000);  // part of the files are written, not committed

  const auto asked = std::chrono::steady_clock::now();
  HttpReply cancel = s.Cancel("p", run);
  INFO(cancel.body);
  REQUIRE(cancel.status == 202);
  const std::string url = "/api/v1/projects/p/runs/" + std::to_string(run);
  CHECK(cancel.Header("location") == url);
  CHECK(cancel.Json()["run_id"].GetInt64() == run);
  REQUIRE(Eventually([&] { return s.Outcome(run) != "running"; }));
  const long long latency = MillisSince(asked);
  WARN("API cancel to the run recorded cancelled, mid-write: " << latency << " ms (" << s.Database() << ")");
  CHECK(latency < 1000);

  rapidjson::Document record = s.Call("GET", url).Json();
  CHECK(Str(record, "outcome") == "cancelled");
  CHECK_THAT(Str(record, "error"), Catch::Contains("cancelled on request") && Catch::Contains("during write") &&
                                       Catch::Contains("nothing was written"));
  CHECK(record["files_added"].GetInt64() == 0);
  CHECK(s.Documents("p") == 0);
  CHECK(s.Cursors("p") == 0);
  CHECK(s.LeaseFree("p"));
  // The project is as it was before the run, not "running".
  CHECK(Str(s.Call("GET", "/api/v1/projects/p").Json(), "status") == "never_synced");
  // The run's end is an event, a metric and a line of the server's log.
  REQUIRE(Eventually([&] {
    return s.Count("SELECT COUNT(*) FROM events WHERE type = 'run.finished' AND run_id = " + std::to_string(run) +
                   " AND payload LIKE '%\"outcome\":\"cancelled\"%'") == 1;
  }));
  CHECK_THAT(s.server.client().Send("GET", "/metrics").body,
             Catch::Contains("tether_syncs_total{outcome=\"cancelled\"} 1"));
  CHECK_THAT(s.server.Stderr(),
             Catch::Contains("run " + std::to_string(run) + " of p cancelled: cancelled on request"));
  // Cancelled once is ended: a second cancel is a conflict.
  HttpReply again = s.Cancel("p", run);
  CHECK(again.status == 409);
  CHECK(Str(again.Json(), "type") == "urn:tether:problem:conflict");
  CHECK_THAT(Str(again.Json(), "detail"), Catch::Contains("has already ended (cancelled)"));

  fs::remove(gate / "blob-delay-ms");
  const int64_t next = s.StartSync("p");
  REQUIRE(Eventually([&] { return s.Outcome(next) != "running"; }));
  CHECK(s.Outcome(next) == "succeeded");
  CHECK(s.Documents("p") == 3000);
  CHECK(s.server.Stop() == 0);
}

TEST_CASE("a cancel names one run: an ended run is 409, an unknown or another tenant's run 404") {
  Served s;
  const fs::path gate = s.AddProject("p");
  s.AddProject("q");
  const int64_t first = s.StartSync("p");
  REQUIRE(Eventually([&] { return s.Outcome(first) != "running"; }));
  REQUIRE(s.Outcome(first) == "succeeded");

  // The project's next run is held in discover.
  Hold(gate, "discover");
  const int64_t second = s.StartSync("p");
  REQUIRE(Eventually([&] { return Reached(gate, "discover"); }));

  // The first run has ended: cancelling it is a conflict, and does not stop
  // the second one.
  HttpReply ended = s.Cancel("p", first);
  CHECK(ended.status == 409);
  CHECK(ended.Header("content-type") == "application/problem+json");
  CHECK_THAT(Str(ended.Json(), "detail"), Catch::Contains("run " + std::to_string(first)) &&
                                              Catch::Contains("has already ended (succeeded)"));
  // An id that is no positive integer is a bad request.
  for (const char* id : {"abc", "0", "-1"}) {
    HttpReply bad_id = s.Call("POST", std::string("/api/v1/projects/p/runs/") + id + "/cancel");
    CHECK(bad_id.status == 400);
    CHECK(Str(bad_id.Json(), "parameter") == "id");
  }
  // Unknown runs, a run of another project, unknown projects: 404.
  for (const std::string& target :
       {std::string("/api/v1/projects/p/runs/999999/cancel"),
        std::string("/api/v1/projects/p/runs/99999999999999999999/cancel"),
        "/api/v1/projects/q/runs/" + std::to_string(second) + "/cancel",
        "/api/v1/projects/nosuch/runs/" + std::to_string(second) + "/cancel"}) {
    INFO(target);
    HttpReply missing = s.Call("POST", target);
    CHECK(missing.status == 404);
    CHECK(Str(missing.Json(), "type") == "urn:tether:problem:not-found");
  }
  // Another tenant's token sees no project p: 404, and nothing is asked.
  const std::string other = s.env.Token("other", "other");
  HttpReply foreign = s.Cancel("p", second, other);
  CHECK(foreign.status == 404);
  // A body with unknown members is refused and asks nothing.
  HttpReply bad = s.Call("POST", "/api/v1/projects/p/runs/" + std::to_string(second) + "/cancel", R"({"force": true})");
  CHECK(bad.status == 400);
  // Without a token: 401.
  CHECK(s.server.client().Send("POST", "/api/v1/projects/p/runs/" + std::to_string(second) + "/cancel").status == 401);

  CHECK(s.Outcome(second) == "running");
  Release(gate, "discover");
  REQUIRE(Eventually([&] { return s.Outcome(second) != "running"; }));
  CHECK(s.Outcome(second) == "noop");  // not stopped by any of the above
  CHECK(s.Count("SELECT COUNT(*) FROM sync_runs WHERE outcome = 'cancelled'") == 0);
  CHECK(s.server.Stop() == 0);
}

TEST_CASE("a cancel during the diff stops the provider's diff through its sink") {
  Served s;
  const fs::path gate = s.AddProject("p", 100000);
  Set(gate, "diff-delay-ms", 1);  // a diff of 100 s
  const int64_t run = s.StartSync("p");
  REQUIRE(Eventually([&] { return Reached(gate, "diff"); }));
  ::usleep(200 * 1000);
  const auto asked = std::chrono::steady_clock::now();
  REQUIRE(s.Cancel("p", run).status == 202);
  REQUIRE(Eventually([&] { return s.Outcome(run) != "running"; }));
  const long long latency = MillisSince(asked);
  WARN("API cancel to the run recorded cancelled, mid-diff: " << latency << " ms (" << s.Database() << ")");
  CHECK(latency < 1000);
  CHECK(s.Outcome(run) == "cancelled");
  CHECK_THAT(s.Text("SELECT error FROM sync_runs WHERE id = " + std::to_string(run)), Catch::Contains("during diff"));
  // The provider's diff ended early, with the sink's status.
  REQUIRE(Eventually([&] { return fs::exists(gate / "diff-sent"); }));
  const std::string sent = FileText(gate / "diff-sent");
  INFO(sent);
  CHECK(std::stol(sent) < 100000);
  CHECK_THAT(sent, Catch::Contains("cancelled on request"));
  CHECK(s.Documents("p") == 0);
  CHECK(s.LeaseFree("p"));
  CHECK(s.server.Stop() == 0);
}

TEST_CASE("a queued run cancelled before it starts never runs, and the run before it is not stopped") {
  Served s(R"("sync_workers": 1, "sync_queue": 4)");
  const fs::path first_gate = s.AddProject("first");
  s.AddProject("second");
  Hold(first_gate, "discover");
  const int64_t first = s.StartSync("first");
  REQUIRE(Eventually([&] { return Reached(first_gate, "discover"); }));
  const int64_t second = s.StartSync("second");  // waits for the only worker
  REQUIRE(s.Cancel("second", second).status == 202);
  Release(first_gate, "discover");
  REQUIRE(Eventually([&] { return s.Outcome(first) != "running" && s.Outcome(second) != "running"; }));
  CHECK(s.Outcome(first) == "succeeded");
  CHECK(s.Outcome(second) == "cancelled");
  CHECK_THAT(s.Text("SELECT error FROM sync_runs WHERE id = " + std::to_string(second)),
             Catch::Contains("before discover"));
  CHECK(s.Documents("first") == 20);
  CHECK(s.Documents("second") == 0);
  CHECK(s.LeaseFree("second"));
  CHECK(s.server.Stop() == 0);
}

TEST_CASE("tether sync --cancel stops a sync the server runs") {
  Served s;
  const fs::path gate = s.AddProject("p", 3000);
  SlowReads(gate, 2);
  const int64_t run = s.StartSync("p");
  REQUIRE(Eventually([&] { return Reached(gate, "read"); }));
  CliResult cancel = s.env.cli().Run("sync --cancel p");
  INFO(cancel.err);
  CHECK(cancel.exit_code == 0);
  CHECK_THAT(cancel.out, Catch::Contains("run " + std::to_string(run) + " of p cancelled"));
  CHECK(s.Outcome(run) == "cancelled");
  CHECK(s.Documents("p") == 0);
  CHECK(s.LeaseFree("p"));
  fs::remove(gate / "blob-delay-ms");
  const int64_t next = s.StartSync("p");
  REQUIRE(Eventually([&] { return s.Outcome(next) != "running"; }));
  CHECK(s.Outcome(next) == "succeeded");
  CHECK(s.server.Stop() == 0);
}

TEST_CASE("Ctrl-C of a tether sync beside a server frees the project for the server at once") {
  Served s;
  const fs::path gate = s.AddProject("p", 3000);
  SlowReads(gate, 2);
  TetherProcess sync(s.env.cli(), "sync p");
  REQUIRE(Eventually([&] { return Reached(gate, "read"); }));
  const auto signalled = std::chrono::steady_clock::now();
  sync.Signal(SIGINT);
  INFO(sync.Err());
  CHECK(sync.Wait() == 130);
  WARN("SIGINT to tether sync exiting, mid-write: " << MillisSince(signalled) << " ms (" << s.Database() << ")");
  CHECK(s.Documents("p") == 0);
  CHECK(s.LeaseFree("p"));
  CHECK(s.Text("SELECT outcome FROM sync_runs ORDER BY id DESC LIMIT 1") == "cancelled");
  // The server syncs the project at once: not busy, no lease to wait for.
  fs::remove(gate / "blob-delay-ms");
  const int64_t next = s.StartSync("p");
  REQUIRE(Eventually([&] { return s.Outcome(next) != "running"; }));
  CHECK(s.Outcome(next) == "succeeded");
  CHECK(s.Documents("p") == 3000);
  CHECK(s.server.Stop() == 0);
}

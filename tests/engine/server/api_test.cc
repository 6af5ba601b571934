// The JSON API over real HTTP: the tether binary serving on loopback,
// every endpoint, bad bodies, auth and tenants, on SQLite and PostgreSQL.
#include <catch2/catch.hpp>


#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/db/project_store.h"
#include "engine/api/api.h"
#include "engine/http/router.h"
#include "serve_harness.h"
#include "support/status_checks.h"

using tether::testing::CliResult;
using tether::testing::Eventually;
using tether::testing::GitRepo;
using tether::testing::HttpReply;
using tether::testing::ServeEnv;
using tether::testing::ServeProcess;
using tether::testing::ShellQuote;

namespace {

// A served environment with one token of tenant "default".
struct Served {
  explicit Served(const std::string& server_json = "", const std::string& local_git_settings = "",
                  const std::string& more_plugins_json = "")
      : env(server_json, local_git_settings, more_plugins_json), token(env.Token("ci")), server(env.config()) {}

  HttpReply Call(const std::string& method, const std::string& target, const std::string& body = "",
                 const std::string& as = "") {
    return server.client().Send(method, target, body, {{"Authorization", "Bearer " + (as.empty() ? token : as)}});
  }
  HttpReply Get(const std::string& target, const std::string& as = "") { return Call("GET", target, "", as); }

  long long Count(const std::string& sql) { return env.cli().Count(sql); }
  std::string Text(const std::string& sql) { return env.cli().Text(sql); }

  ServeEnv env;
  std::string token;
  ServeProcess server;
};

std::string Str(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject() || !v.HasMember(key) || !v[key].IsString()) return "<absent>";
  return v[key].GetString();
}

// A git repository with branches main (default) and release.
struct Repo {
  explicit Repo(const std::filesystem::path& dir) : git(dir) {
    git.Write("README.md", "# hello\n");
    git.Write("src/main.cc", "int main() { return 0; }\n");
    git.Write("src/deep/util.py", "print('x')\n");
    git.Write("docs/a b.txt", "spaced\n");
    git.Write("data/blob.bin", std::string("\x00\x01\x02\xff binary", 11));
    head = git.Commit("first");
    git.Git("branch release");
  }
  std::string Body(const std::string& name, const std::string& extra = "") const {
    return "{\"name\": \"" + name + "\", \"repo\": \"" + git.path().string() + "\"" + extra + "}";
  }
  GitRepo git;
  std::string head;
};

// Polls the run (as `as`, the default token when empty) until it is no
// longer running; returns it.
rapidjson::Document FinishedRun(Served& s, const std::string& url, const std::string& as = "") {
  rapidjson::Document run;
  bool done = Eventually([&] {
    run = s.Get(url, as).Json();
    return Str(run, "outcome") != "running";
  });
  REQUIRE(done);
  return run;
}

}  // namespace

TEST_CASE("healthz says the process answers and readyz checks the database, migrations and plugins") {
  Served s;
  HttpReply health = s.server.client().Send("GET", "/healthz");
  CHECK(health.status == 200);
  CHECK(Str(health.Json(), "status") == "ok");
  CHECK(health.Header("content-type") == "application/json");

  HttpReply ready = s.server.client().Send("GET", "/readyz");
  CHECK(ready.status == 200);
  CHECK(Str(ready.Json(), "status") == "ready");
  for (const char* check : {"database", "migrations", "plugins"}) {
    INFO(check);
    CHECK(Str(ready.Json()["checks"], check) == "ok");
  }

  // A migration the database no longer records as applied: not ready, and
  // the check names it; liveness is unchanged.
  const std::string last = s.Text("SELECT MAX(version) FROM schema_migrations");
  const std::string name = s.Text("SELECT name FROM schema_migrations WHERE version = '" + last + "'");
  REQUIRE_OK(s.env.cli().db().Execute("DELETE FROM schema_migrations WHERE version = '" + last + "'", "forget"));
  HttpReply pending = s.server.client().Send("GET", "/readyz");
  CHECK(pending.status == 503);
  CHECK(Str(pending.Json(), "status") == "not_ready");
  CHECK_THAT(Str(pending.Json()["checks"], "migrations"), Catch::Contains("pending: " + name));
  CHECK(Str(pending.Json()["checks"], "database") == "ok");
  CHECK(s.server.client().Send("GET", "/healthz").status == 200);
}

TEST_CASE("readyz names a broken plugin") {
  tether::testing::ServeEnv env("", "", R"({"name": "ghost", "kind": "provider", "path": "/nonexistent/libghost.so"})");
  tether::testing::ServeProcess server(env.config());
  HttpReply ready = server.client().Send("GET", "/readyz");
  CHECK(ready.status == 503);
  CHECK_THAT(Str(ready.Json()["checks"], "plugins"), Catch::Contains("ghost"));
  CHECK(Str(ready.Json()["checks"], "database") == "ok");
}

TEST_CASE("probes answer any peer, and metrics ask non-loopback peers for a token unless the config allows them") {
  const std::string address = tether::testing::NonLoopbackIpv4Address();
  if (address.empty()) {
    WARN("no non-loopback IPv4 address on this machine; nothing to check");
    return;
  }
  for (bool allowed : {false, true}) {
    INFO("allow_unauthenticated_health " << allowed);
    ServeEnv env(allowed ? R"("allow_unauthenticated_health": true)" : "", "",
                 R"({"name": "ghost", "kind": "provider", "path": "/nonexistent/libghost.so"})");
    const std::string token = env.Token("probe");
    ServeProcess server(env.config(), address + ":0");
    REQUIRE(server.host() == address);
    CHECK(server.client().Send("GET", "/healthz").status == 200);
    // Not ready (a broken plugin): the reason only for those who may read it.
    HttpReply ready = server.client().Send("GET", "/readyz");
    CHECK(ready.status == 503);
    const std::string plugins = Str(ready.Json()["checks"], "plugins");
    if (allowed) CHECK_THAT(plugins, Catch::Contains("ghost"));
    else CHECK(plugins == "failing");

    HttpReply anonymous = server.client().Send("GET", "/metrics");
    CHECK(anonymous.status == (allowed ? 200 : 401));
    HttpReply with_token = server.client().Send("GET", "/metrics", "", {{"Authorization", "Bearer " + token}});
    CHECK(with_token.status == 200);
    CHECK(with_token.body.find("tether_sse_clients 0") != std::string::npos);
  }
}

TEST_CASE("requests without a token or with a wrong or revoked one get 401") {
  Served s;
  HttpReply none = s.server.client().Send("GET", "/api/v1/projects");
  CHECK(none.status == 401);
  CHECK(none.Header("content-type") == "application/problem+json");
  CHECK(none.Header("www-authenticate") == "Bearer realm=\"tether\"");
  CHECK(Str(none.Json(), "type") == "urn:tether:problem:unauthenticated");
  CHECK(none.Json()["status"].GetInt() == 401);

  HttpReply wrong = s.Get("/api/v1/projects", "tether_0000");
  CHECK(wrong.status == 401);
  CHECK(wrong.Header("www-authenticate") == "Bearer realm=\"tether\"");
  HttpReply scheme = s.server.client().Send("GET", "/api/v1/projects", "", {{"Authorization", "Basic " + s.token}});
  CHECK(scheme.status == 401);

  CHECK(s.Get("/api/v1/projects").status == 200);
  // Tokens are stored hashed, never as they are.
  CHECK(s.Count("SELECT COUNT(*) FROM api_tokens WHERE token_hash = '" + s.token + "'") == 0);
  CHECK(s.Count("SELECT COUNT(*) FROM api_tokens WHERE name = 'ci'") == 1);

  CliResult revoked = s.env.cli().Run("token revoke ci");
  REQUIRE(revoked.exit_code == 0);
  CHECK(s.Get("/api/v1/projects").status == 401);
  CliResult listed = s.env.cli().Run("token list");
  CHECK_THAT(listed.out, Catch::Contains("ci"));
  CHECK_THAT(listed.out, !Catch::Contains(s.token));
}

TEST_CASE("projects are created listed read updated and deleted") {
  Served s;
  Repo repo(s.env.dir() / "repo");
  HttpReply created = s.Call("POST", "/api/v1/projects", repo.Body("web"));
  INFO(created.body);
  REQUIRE(created.status == 201);
  CHECK(created.Header("location") == "/api/v1/projects/web");
  rapidjson::Document project = created.Json();
  CHECK(Str(project, "name") == "web");
  CHECK(Str(project, "branch") == "main");
  CHECK(Str(project, "provider") == "local-git");
  CHECK(Str(project, "storage") == "sql-storage");
  CHECK(Str(project, "tenant") == "default");
  CHECK(Str(project, "status") == "never_synced");
  CHECK(project["sync_enabled"].GetBool());

  HttpReply second = s.Call("POST", "/api/v1/projects", repo.Body("api", ", \"branch\": \"release\""));
  REQUIRE(second.status == 201);
  CHECK(Str(second.Json(), "branch") == "release");

  rapidjson::Document list = s.Get("/api/v1/projects").Json();
  REQUIRE(list["projects"].Size() == 2);
  CHECK(Str(list["projects"][0], "name") == "api");
  CHECK(Str(list["projects"][1], "name") == "web");

  HttpReply one = s.Get("/api/v1/projects/web");
  CHECK(one.status == 200);
  CHECK(Str(one.Json(), "repo") == repo.git.path().string());
  CHECK(s.Get("/api/v1/projects/nope").status == 404);

  HttpReply patched = s.Call("PATCH", "/api/v1/projects/web", R"({"branch": "release", "sync_enabled": false})");
  INFO(patched.body);
  CHECK(patched.status == 200);
  CHECK(Str(patched.Json(), "branch") == "release");
  CHECK_FALSE(patched.Json()["sync_enabled"].GetBool());
  CHECK(s.Text("SELECT s.branch FROM project_syncs s JOIN projects p ON p.id = s.project_id WHERE p.name = 'web'") ==
        "release");
  CHECK(s.Count("SELECT s.sync_enabled FROM project_syncs s JOIN projects p ON p.id = s.project_id"
                " WHERE p.name = 'web'") == 0);

  HttpReply deleted = s.Call("DELETE", "/api/v1/projects/web");
  CHECK(deleted.status == 204);
  CHECK(deleted.body.empty());
  CHECK(s.Get("/api/v1/projects/web").status == 404);
  CHECK(s.Count("SELECT COUNT(*) FROM projects WHERE name = 'web'") == 0);
  CHECK(s.Call("DELETE", "/api/v1/projects/web").status == 404);
}

TEST_CASE("bad project bodies are refused naming the field and change nothing") {
  Served s;
  Repo repo(s.env.dir() / "repo");
  struct Bad {
    std::string body;
    int status;
    std::string type;
    std::string pointer;
    std::string detail;
  };
  const std::string path = repo.git.path().string();
  const std::vector<Bad> bad = {
      {"{\"name\": \"x\", ", 400, "malformed-json", "<absent>", "not valid JSON"},
      {"[1, 2]", 400, "invalid-body", "", "must be an object"},
      {"{\"name\": 5, \"repo\": \"" + path + "\"}", 400, "invalid-body", "/name", "must be a string"},
      {"{\"repo\": \"" + path + "\"}", 400, "invalid-body", "", "missing required property \"name\""},
      {"{\"name\": \"x\", \"repo\": \"" + path + "\", \"colour\": \"red\"}", 400, "invalid-body", "/colour",
       "unknown property \"colour\""},
      {"{\"name\": \"x\", \"name\": \"y\", \"repo\": \"" + path + "\"}", 400, "invalid-body", "/name",
       "appears more than once"},
      {"{\"name\": \"-x\", \"repo\": \"" + path + "\"}", 400, "invalid-body", "/name", "must not start with"},
      {"{\"name\": \"x\", \"repo\": \"" + path + "\", \"branch\": \"nope\"}", 422, "unprocessable", "/branch",
       "branch \"nope\" does not exist"},
      {"{\"name\": \"x\", \"repo\": \"" + (s.env.dir() / "missing").string() + "\"}", 422, "unprocessable", "/repo",
       "missing"},
      {"{\"name\": \"x\", \"repo\": \"" + path + "\", \"provider\": \"nosuch\"}", 422, "unprocessable", "/provider",
       "nosuch"},
      {"", 400, "invalid-body", "", "needs a JSON object"},
  };
  for (const Bad& b : bad) {
    INFO(b.body);
    HttpReply reply = s.Call("POST", "/api/v1/projects", b.body);
    INFO(reply.body);
    CHECK(reply.status == b.status);
    CHECK(reply.Header("content-type") == "application/problem+json");
    rapidjson::Document problem = reply.Json();
    CHECK(Str(problem, "type") == "urn:tether:problem:" + b.type);
    CHECK(Str(problem, "pointer") == b.pointer);
    CHECK_THAT(Str(problem, "detail"), Catch::Contains(b.detail));
  }
  HttpReply form = s.server.client().Send("POST", "/api/v1/projects", "name=x",
                                          {{"Authorization", "Bearer " + s.token},
                                           {"Content-Type", "application/x-www-form-urlencoded"}});
  CHECK(form.status == 415);
  CHECK(Str(form.Json(), "type") == "urn:tether:problem:unsupported-media-type");
  HttpReply huge = s.Call("POST", "/api/v1/projects", "{\"name\": \"" + std::string(1100 * 1024, 'x') + "\"}");
  CHECK(huge.status == 413);
  CHECK(Str(huge.Json(), "type") == "urn:tether:problem:payload-too-large");
  CHECK(s.Count("SELECT COUNT(*) FROM projects") == 0);

  REQUIRE(s.Call("POST", "/api/v1/projects", repo.Body("x")).status == 201);
  HttpReply taken = s.Call("POST", "/api/v1/projects", repo.Body("x"));
  CHECK(taken.status == 409);
  CHECK_THAT(Str(taken.Json(), "detail"), Catch::Contains("already exists"));
  CHECK(s.Count("SELECT COUNT(*) FROM projects") == 1);
}

TEST_CASE("bodies nested a million levels deep are refused with 400 and the server goes on") {
  Served s;
  Repo repo(s.env.dir() / "repo");
  REQUIRE(s.Call("POST", "/api/v1/projects", repo.Body("web")).status == 201);
  // 1,000,000 '[' (under the 1 MiB body limit), then the closing ones as
  // far as they fit: the depth is refused before the parser sees it.
  const std::string deep = std::string(1000000, '[') + std::string(40000, ']');
  for (const auto& [method, target] : {std::pair<std::string, std::string>{"POST", "/api/v1/projects"},
                                       {"PATCH", "/api/v1/projects/web"},
                                       {"POST", "/api/v1/projects/web/sync"}}) {
    INFO(method << " " << target);
    HttpReply reply = s.Call(method, target, deep);
    INFO(reply.body);
    CHECK(reply.status == 400);
    CHECK(reply.Header("content-type") == "application/problem+json");
    CHECK(Str(reply.Json(), "type") == "urn:tether:problem:invalid-body");
    CHECK(Str(reply.Json(), "detail") == "request body: JSON nested deeper than 32 levels at offset 32");
  }
  CHECK(s.server.Running());
  CHECK(s.Count("SELECT COUNT(*) FROM projects") == 1);
  CHECK(s.Count("SELECT COUNT(*) FROM sync_runs") == 0);
  CHECK(s.Text("SELECT s.branch FROM project_syncs s JOIN projects p ON p.id = s.project_id") == "main");
  CHECK(s.Get("/api/v1/projects/web").status == 200);
}

TEST_CASE("a relative repository path or a branch name git refuses is a 400 naming the field") {
  Served s;
  Repo repo(s.env.dir() / "repo");
  struct Bad {
    std::string body, pointer, detail;
  };
  for (const Bad& b : std::vector<Bad>{
           {R"({"name": "web", "repo": "repo"})", "/repo", "repository path 'repo' is relative"},
           {R"({"name": "web", "repo": "./x/../repo"})", "/repo", "is relative"},
           {repo.Body("web", R"(, "branch": "..\\evil")"), "/branch",
            "branch name \"..\\x5cevil\" is not valid: it contains \"\\\""},
           {repo.Body("web", R"(, "branch": "a..b")"), "/branch", "it contains \"..\""},
           {repo.Body("web", R"(, "branch": "esc\u001b[31m")"), "/branch",
            "\"esc\\x1b[31m\" is not valid: it contains a control character"},
       }) {
    INFO(b.body);
    HttpReply reply = s.Call("POST", "/api/v1/projects", b.body);
    INFO(reply.body);
    CHECK(reply.status == 400);
    CHECK(Str(reply.Json(), "type") == "urn:tether:problem:invalid-body");
    CHECK(Str(reply.Json(), "pointer") == b.pointer);
    CHECK_THAT(Str(reply.Json(), "detail"), Catch::Contains(b.detail));
  }
  CHECK(s.Count("SELECT COUNT(*) FROM projects") == 0);
  // An absolute path and a file:// URL are stored as given.
  HttpReply added = s.Call("POST", "/api/v1/projects", repo.Body("web"));
  REQUIRE(added.status == 201);
  CHECK(Str(added.Json(), "repo") == repo.git.path().string());
  HttpReply by_url = s.Call("POST", "/api/v1/projects",
                            R"({"name": "web2", "repo": ")" + repo.git.url() + R"("})");
  REQUIRE(by_url.status == 201);
  CHECK(Str(by_url.Json(), "repo") == repo.git.url());

  const std::string branch_sql =
      "SELECT s.branch FROM project_syncs s JOIN projects p ON p.id = s.project_id WHERE p.name = 'web'";
  // The first is ..\evil, escaped for JSON.
  for (const std::string& branch : {std::string("..\\\\evil"), std::string("-x"), std::string("x.lock"),
                                    std::string("a//b"), std::string("HEAD")}) {
    INFO(branch);
    HttpReply refused = s.Call("PATCH", "/api/v1/projects/web", R"({"branch": ")" + branch + R"("})");
    INFO(refused.body);
    CHECK(refused.status == 400);
    CHECK(Str(refused.Json(), "pointer") == "/branch");
    CHECK_THAT(Str(refused.Json(), "detail"), Catch::Contains("is not valid") &&
                                                  Catch::Contains("branch left at \"main\""));
    CHECK(s.Text(branch_sql) == "main");
  }
}

TEST_CASE("with allowed_roots a repository outside them is 403 naming the roots, inside works") {
  tether::testing::TempDir tmp;
  const std::filesystem::path root = tmp.path() / "root";
  Repo inside(root / "web");
  GitRepo sibling(tmp.path() / "root-evil");  // /x/root-evil is not inside /x/root
  sibling.Write("secret.txt", "s\n");
  sibling.Commit("private");
  std::filesystem::create_directory_symlink(sibling.path(), root / "escape");
  Served s("", R"({"allowed_roots": [")" + root.string() + R"("]})");

  for (const std::string& path : {sibling.path().string(), (root / "escape").string(),
                                  (root / ".." / "root-evil").string(), "file://" + sibling.path().string()}) {
    INFO(path);
    HttpReply refused = s.Call("POST", "/api/v1/projects", R"({"name": "x", "repo": ")" + path + R"("})");
    INFO(refused.body);
    CHECK(refused.status == 403);
    CHECK(refused.Header("content-type") == "application/problem+json");
    CHECK(Str(refused.Json(), "type") == "urn:tether:problem:forbidden");
    CHECK_THAT(Str(refused.Json(), "detail"),
               Catch::Contains("outside the directories local-git may open (allowed_roots: " + root.string()));
  }
  CHECK(s.Count("SELECT COUNT(*) FROM projects") == 0);

  HttpReply added = s.Call("POST", "/api/v1/projects", inside.Body("web"));
  INFO(added.body);
  REQUIRE(added.status == 201);
  rapidjson::Document run = FinishedRun(s, Str(s.Call("POST", "/api/v1/projects/web/sync").Json(), "url"));
  CHECK(Str(run, "outcome") == "succeeded");

  // A project stored before the roots were set (or by another route) is
  // refused when it is used: its branches, its sync.
  {
    tether::db::ProjectStore projects(&s.env.cli().db());
    tether::db::NewProject p;
    p.name = "old";
    p.provider = "local-git";
    p.storage = "sql-storage";
    p.repo_url = sibling.path().string();
    p.branch = "main";
    REQUIRE(projects.Add(p).ok());
  }
  HttpReply branches = s.Get("/api/v1/projects/old/branches");
  CHECK(branches.status == 403);
  CHECK_THAT(Str(branches.Json(), "detail"), Catch::Contains("allowed_roots: " + root.string()));
  HttpReply started = s.Call("POST", "/api/v1/projects/old/sync");
  REQUIRE(started.status == 202);
  rapidjson::Document failed = FinishedRun(s, Str(started.Json(), "url"));
  CHECK(Str(failed, "outcome") == "failed");
  CHECK_THAT(Str(failed, "error"), Catch::Contains("outside the directories local-git may open"));
  CHECK(s.Count("SELECT COUNT(*) FROM documents d JOIN projects p ON p.id = d.project_id WHERE p.name = 'old'") == 0);
}

TEST_CASE("selecting a branch the repository lacks is refused naming it and the old selection stays") {
  Served s;
  Repo repo(s.env.dir() / "repo");
  REQUIRE(s.Call("POST", "/api/v1/projects", repo.Body("web")).status == 201);
  const std::string branch_sql =
      "SELECT s.branch FROM project_syncs s JOIN projects p ON p.id = s.project_id WHERE p.name = 'web'";

  HttpReply missing = s.Call("PATCH", "/api/v1/projects/web", R"({"branch": "nope"})");
  CHECK(missing.status == 422);
  CHECK(Str(missing.Json(), "pointer") == "/branch");
  CHECK_THAT(Str(missing.Json(), "detail"), Catch::Contains("\"nope\" does not exist"));
  CHECK_THAT(Str(missing.Json(), "detail"), Catch::Contains("branch left at \"main\""));
  CHECK(s.Text(branch_sql) == "main");

  // A body with a good branch and an unknown member changes nothing.
  HttpReply mixed = s.Call("PATCH", "/api/v1/projects/web", R"({"branch": "release", "bogus": 1})");
  CHECK(mixed.status == 400);
  CHECK(Str(mixed.Json(), "pointer") == "/bogus");
  CHECK(s.Text(branch_sql) == "main");
  // Nothing to change is a bad body too.
  HttpReply empty = s.Call("PATCH", "/api/v1/projects/web", "{}");
  CHECK(empty.status == 400);
  CHECK_THAT(Str(empty.Json(), "detail"), Catch::Contains("at least 1 property"));
  HttpReply wrong_type = s.Call("PATCH", "/api/v1/projects/web", R"({"sync_enabled": "no"})");
  CHECK(wrong_type.status == 400);
  CHECK(Str(wrong_type.Json(), "pointer") == "/sync_enabled");

  HttpReply selected = s.Call("PATCH", "/api/v1/projects/web", R"({"branch": "release"})");
  CHECK(selected.status == 200);
  CHECK(s.Text(branch_sql) == "release");

  rapidjson::Document branches = s.Get("/api/v1/projects/web/branches").Json();
  CHECK(Str(branches, "selected") == "release");
  CHECK(Str(branches, "default") == "main");
  REQUIRE(branches["branches"].Size() == 2);
  CHECK(Str(branches["branches"][0], "name") == "main");
  CHECK(Str(branches["branches"][0], "head") == repo.head);
  CHECK(branches["branches"][0]["default"].GetBool());
  CHECK_FALSE(branches["branches"][0]["selected"].GetBool());
  CHECK(branches["branches"][1]["selected"].GetBool());
}

TEST_CASE("a sync through the API returns its run id and the run shows phase timings") {
  Served s;
  Repo repo(s.env.dir() / "repo");
  REQUIRE(s.Call("POST", "/api/v1/projects", repo.Body("web")).status == 201);
  HttpReply accepted = s.Call("POST", "/api/v1/projects/web/sync");
  INFO(accepted.body);
  REQUIRE(accepted.status == 202);
  const int64_t run_id = accepted.Json()["run_id"].GetInt64();
  CHECK(run_id > 0);
  const std::string url = "/api/v1/projects/web/runs/" + std::to_string(run_id);
  CHECK(accepted.Header("location") == url);
  CHECK(Str(accepted.Json(), "url") == url);

  rapidjson::Document run = FinishedRun(s, url);
  CHECK(Str(run, "outcome") == "succeeded");
  CHECK(Str(run, "mode") == "full");
  CHECK(Str(run, "trigger") == "api");
  CHECK(Str(run, "to_commit") == repo.head);
  CHECK(run["files_added"].GetInt64() == 5);
  double phases_ms = 0;
  for (const char* phase : {"discover", "resolve", "diff", "write", "analyze", "finalize"}) {
    INFO(phase);
    CHECK(run["timings_ms"][phase].IsNumber());
    if (run["timings_ms"][phase].IsNumber()) phases_ms += run["timings_ms"][phase].GetDouble();
  }
  REQUIRE(run["duration_ms"].IsNumber());
  CHECK(run["duration_ms"].GetDouble() == Approx(phases_ms));
  CHECK(run["error"].IsNull());
  CHECK(s.Count("SELECT COUNT(*) FROM documents") == 5);

  // An empty object is a body too; a second sync has nothing new.
  HttpReply again = s.Call("POST", "/api/v1/projects/web/sync", "{}");
  REQUIRE(again.status == 202);
  rapidjson::Document noop =
      FinishedRun(s, "/api/v1/projects/web/runs/" + std::to_string(again.Json()["run_id"].GetInt64()));
  CHECK(Str(noop, "outcome") == "noop");
  CHECK(s.Call("POST", "/api/v1/projects/web/sync", R"({"force": true})").status == 400);

  rapidjson::Document runs = s.Get("/api/v1/projects/web/runs").Json();
  REQUIRE(runs["runs"].Size() == 2);
  CHECK(Str(runs["runs"][0], "outcome") == "noop");
  CHECK(runs["runs"][1]["id"].GetInt64() == run_id);
  CHECK(s.Get("/api/v1/projects/web/runs?limit=1").Json()["runs"].Size() == 1);
  HttpReply bad_limit = s.Get("/api/v1/projects/web/runs?limit=0");
  CHECK(bad_limit.status == 400);
  CHECK(Str(bad_limit.Json(), "parameter") == "limit");
  HttpReply unknown = s.Get("/api/v1/projects/web/runs?color=red");
  CHECK(unknown.status == 400);
  CHECK(Str(unknown.Json(), "parameter") == "color");
  CHECK(s.Get("/api/v1/projects/web/runs/999999").status == 404);
  for (const char* bad : {"abc", "0", "-1", "1e3"}) {
    INFO(bad);
    HttpReply not_an_id = s.Get(std::string("/api/v1/projects/web/runs/") + bad);
    CHECK(not_an_id.status == 400);
    CHECK(Str(not_an_id.Json(), "parameter") == "id");
  }
  CHECK(s.Get("/api/v1/projects/web/runs/99999999999999999999").status == 404);
  CHECK(s.Call("POST", "/api/v1/projects/nope/sync").status == 404);

  // A disabled project is not synced.
  REQUIRE(s.Call("PATCH", "/api/v1/projects/web", R"({"sync_enabled": false})").status == 200);
  HttpReply disabled = s.Call("POST", "/api/v1/projects/web/sync");
  CHECK(disabled.status == 409);
  CHECK_THAT(Str(disabled.Json(), "detail"), Catch::Contains("disabled"));
}

TEST_CASE("documents are listed a page at a time and read one by one without embedding bytes") {
  Served s;
  Repo repo(s.env.dir() / "repo");
  REQUIRE(s.Call("POST", "/api/v1/projects", repo.Body("web")).status == 201);
  HttpReply accepted = s.Call("POST", "/api/v1/projects/web/sync");
  REQUIRE(accepted.status == 202);
  FinishedRun(s, accepted.Header("location"));
  REQUIRE_OK(s.env.cli().db().Execute(s.env.cli().postgres() ? "UPDATE documents SET embedding = '\\x0102'::bytea"
                                                              : "UPDATE documents SET embedding = X'0102'",
                                      "embed"));

  std::vector<std::string> paths;
  std::string cursor;
  int pages = 0;
  do {
    HttpReply page = s.Get("/api/v1/projects/web/documents?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor));
    INFO(page.body);
    REQUIRE(page.status == 200);
    rapidjson::Document doc = page.Json();
    CHECK(doc["documents"].Size() <= 2);
    for (const auto& d : doc["documents"].GetArray()) {
      paths.push_back(d["path"].GetString());
      CHECK(d["has_embedding"].GetBool());
      CHECK_FALSE(d.HasMember("embedding"));
      CHECK_FALSE(d.HasMember("content"));
    }
    cursor = doc["next_cursor"].IsNull() ? "" : doc["next_cursor"].GetString();
    ++pages;
  } while (!cursor.empty() && pages < 10);
  CHECK(pages == 3);
  std::vector<std::string> expected = {"README.md", "data/blob.bin", "docs/a b.txt", "src/deep/util.py", "src/main.cc"};
  CHECK(paths == expected);

  HttpReply one = s.Get("/api/v1/projects/web/documents/src/main.cc");
  REQUIRE(one.status == 200);
  CHECK(Str(one.Json(), "content") == "int main() { return 0; }\n");
  CHECK(Str(one.Json(), "language") == "cpp");
  CHECK(one.Json()["has_content"].GetBool());
  CHECK_FALSE(one.Json().HasMember("embedding"));
  HttpReply spaced = s.Get("/api/v1/projects/web/documents/docs/a%20b.txt");
  CHECK(Str(spaced.Json(), "content") == "spaced\n");
  HttpReply binary = s.Get("/api/v1/projects/web/documents/data/blob.bin");
  CHECK(binary.status == 200);
  CHECK(binary.Json()["content"].IsNull());
  CHECK(binary.Json()["is_binary"].GetBool());
  CHECK(s.Get("/api/v1/projects/web/documents/no/such.file").status == 404);
  HttpReply bad_cursor = s.Get("/api/v1/projects/web/documents?cursor=zz");
  CHECK(bad_cursor.status == 400);
  CHECK(Str(bad_cursor.Json(), "parameter") == "cursor");
  CHECK(s.Get("/api/v1/projects/web/documents?limit=1001").status == 400);

  // A path prefix narrows the listing, and pages through it like the whole.
  std::vector<std::string> under_src;
  cursor.clear();
  pages = 0;
  do {
    HttpReply page =
        s.Get("/api/v1/projects/web/documents?prefix=src/&limit=1" + (cursor.empty() ? "" : "&cursor=" + cursor));
    INFO(page.body);
    REQUIRE(page.status == 200);
    rapidjson::Document doc = page.Json();
    for (const auto& d : doc["documents"].GetArray()) under_src.push_back(d["path"].GetString());
    cursor = doc["next_cursor"].IsNull() ? "" : doc["next_cursor"].GetString();
    ++pages;
  } while (!cursor.empty() && pages < 10);
  CHECK(under_src == std::vector<std::string>{"src/deep/util.py", "src/main.cc"});
  CHECK(s.Get("/api/v1/projects/web/documents?prefix=docs/a%20").Json()["documents"].Size() == 1);
  CHECK(s.Get("/api/v1/projects/web/documents?prefix=nothing/").Json()["documents"].Size() == 0);
  // "_" and "%" are no wildcards.
  CHECK(s.Get("/api/v1/projects/web/documents?prefix=src%25").Json()["documents"].Size() == 0);
  CHECK(s.Get("/api/v1/projects/web/documents?prefix=s_c").Json()["documents"].Size() == 0);
  HttpReply bad_prefix = s.Get("/api/v1/projects/web/documents?prefix=%FF");
  CHECK(bad_prefix.status == 400);
  CHECK(Str(bad_prefix.Json(), "parameter") == "prefix");

  // Deleting the project forgets its documents and its cursor.
  REQUIRE(s.Call("DELETE", "/api/v1/projects/web").status == 204);
  CHECK(s.Count("SELECT COUNT(*) FROM documents") == 0);
  CHECK(s.Count("SELECT COUNT(*) FROM storage_cursors") == 0);
}

TEST_CASE("a token sees and changes only its tenant's projects") {
  Served s;
  const std::string alpha = s.env.Token("alpha-token", "alpha");
  const std::string beta = s.env.Token("beta-token", "beta");
  Repo repo(s.env.dir() / "repo");
  REQUIRE(s.Call("POST", "/api/v1/projects", repo.Body("pa"), alpha).status == 201);
  REQUIRE(s.Call("POST", "/api/v1/projects", repo.Body("pb"), beta).status == 201);
  CHECK(s.Text("SELECT tenant_id FROM projects WHERE name = 'pa'") == "alpha");
  CHECK(s.Text("SELECT tenant_id FROM projects WHERE name = 'pb'") == "beta");

  rapidjson::Document seen_by_beta = s.Get("/api/v1/projects", beta).Json();
  REQUIRE(seen_by_beta["projects"].Size() == 1);
  CHECK(Str(seen_by_beta["projects"][0], "name") == "pb");
  CHECK(s.Get("/api/v1/projects", s.token).Json()["projects"].Size() == 0);

  CHECK(s.Get("/api/v1/projects/pa", beta).status == 404);
  CHECK(s.Get("/api/v1/projects/pa/branches", beta).status == 404);
  CHECK(s.Get("/api/v1/projects/pa/runs", beta).status == 404);
  CHECK(s.Get("/api/v1/projects/pa/documents", beta).status == 404);
  CHECK(s.Call("POST", "/api/v1/projects/pa/sync", "", beta).status == 404);
  CHECK(s.Call("PATCH", "/api/v1/projects/pa", R"({"sync_enabled": false})", beta).status == 404);
  CHECK(s.Call("DELETE", "/api/v1/projects/pa", "", beta).status == 404);
  CHECK(s.Count("SELECT COUNT(*) FROM projects WHERE name = 'pa'") == 1);
  CHECK(s.Count("SELECT COUNT(*) FROM sync_runs") == 0);
  CHECK(s.Count("SELECT s.sync_enabled FROM project_syncs s JOIN projects p ON p.id = s.project_id"
                " WHERE p.name = 'pa'") == 1);

  rapidjson::Document status = s.Get("/api/v1/status", alpha).Json();
  CHECK(Str(status, "tenant") == "alpha");
  CHECK(status["projects"]["total"].GetInt() == 1);
  CHECK(status["projects"]["by_status"]["never_synced"].GetInt() == 1);
  CHECK(status["syncs"]["running"].GetInt() == 0);
}

TEST_CASE("two tenants may each have a project of the same name, and each works on its own") {
  Served s;
  const std::string alpha = s.env.Token("alpha-token", "alpha");
  const std::string beta = s.env.Token("beta-token", "beta");
  Repo repo(s.env.dir() / "repo");
  REQUIRE(s.Call("POST", "/api/v1/projects", repo.Body("web"), alpha).status == 201);
  // Another tenant's "web" neither blocks this one nor is revealed by it.
  HttpReply second = s.Call("POST", "/api/v1/projects", repo.Body("web", R"(, "branch": "release")"), beta);
  INFO(second.body);
  REQUIRE(second.status == 201);
  HttpReply again = s.Call("POST", "/api/v1/projects", repo.Body("web"), beta);
  CHECK(again.status == 409);
  CHECK(s.Count("SELECT COUNT(*) FROM projects WHERE name = 'web'") == 2);

  CHECK(Str(s.Get("/api/v1/projects/web", alpha).Json(), "branch") == "main");
  CHECK(Str(s.Get("/api/v1/projects/web", beta).Json(), "branch") == "release");
  // A sync of beta's "web" writes beta's documents only.
  HttpReply accepted = s.Call("POST", "/api/v1/projects/web/sync", "", beta);
  REQUIRE(accepted.status == 202);
  CHECK(Eventually([&] { return Str(s.Get(accepted.Header("location"), beta).Json(), "outcome") == "succeeded"; }));
  const std::string beta_id = s.Text("SELECT id FROM projects WHERE name = 'web' AND tenant_id = 'beta'");
  CHECK(s.Count("SELECT COUNT(*) FROM documents WHERE project_id = " + beta_id) == 5);
  CHECK(s.Count("SELECT COUNT(*) FROM documents") == 5);
  CHECK(s.Get("/api/v1/projects/web/runs", alpha).Json()["runs"].Size() == 0);
  CHECK(s.Get("/api/v1/projects/web/runs", beta).Json()["runs"].Size() == 1);
  // Deleting alpha's leaves beta's with its documents.
  CHECK(s.Call("DELETE", "/api/v1/projects/web", "", alpha).status == 204);
  CHECK(s.Get("/api/v1/projects/web", alpha).status == 404);
  CHECK(s.Get("/api/v1/projects/web", beta).status == 200);
  CHECK(s.Count("SELECT COUNT(*) FROM documents") == 5);
}

TEST_CASE("the OpenAPI document is served without a token and lists every route") {
  Served s;
  HttpReply reply = s.server.client().Send("GET", "/api/v1/openapi.json");
  REQUIRE(reply.status == 200);
  rapidjson::Document doc = reply.Json();
  REQUIRE(doc.HasMember("paths"));
  std::set<std::string> served_paths;
  for (const auto& route : tether::api::Api::Routes()) {
    served_paths.insert(tether::http::Router::OpenApiPath(route.pattern));
  }
  CHECK(doc["paths"].MemberCount() == served_paths.size());
  for (const std::string& path : served_paths) {
    INFO(path);
    CHECK(doc["paths"].HasMember(path.c_str()));
  }
}

TEST_CASE("unknown paths get 404 and wrong methods 405 with Allow") {
  Served s;
  HttpReply missing = s.Get("/api/v1/nothing");
  CHECK(missing.status == 404);
  CHECK(Str(missing.Json(), "type") == "urn:tether:problem:not-found");
  HttpReply wrong = s.Call("PUT", "/api/v1/projects");
  CHECK(wrong.status == 405);
  CHECK(wrong.Header("allow") == "GET, POST");
}

TEST_CASE("malformed HTTP gets 400 and one keep-alive connection serves several requests") {
  Served s;
  HttpReply garbage = s.server.client().SendRaw("NOT HTTP AT ALL\r\n\r\n");
  CHECK(garbage.status == 400);
  CHECK(Str(garbage.Json(), "type") == "urn:tether:problem:malformed-request");
  const std::string big_header = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n";
  CHECK(s.server.client().SendRaw(big_header).status == 431);

  std::vector<HttpReply> replies = s.server.client().SendPipelined(
      {{"GET", "/healthz"}, {"GET", "/api/v1/projects"}, {"GET", "/api/v1/status"}}, s.token);
  REQUIRE(replies.size() == 3);
  for (const HttpReply& reply : replies) {
    CHECK(reply.status == 200);
    CHECK(reply.keep_alive);
  }
}

TEST_CASE("symbols and a document's analysis are searched through the API, each tenant analysing its own") {
  Served s("", "", R"({"name": "code", "kind": "analyzer"}, {"name": "docs", "kind": "analyzer"})");
  const std::string alpha = s.env.Token("alpha-token", "alpha");
  const std::string beta = s.env.Token("beta-token", "beta");
  Repo repo(s.env.dir() / "repo");
  // A README that tries to script the page that shows it.
  repo.git.Write("README.md", "# hello\n\n<script>alert(1)</script>\n\n[click](javascript:alert(2))\n\n"
                              "| name | state |\n|---|---|\n| <img src=x onerror=alert(3)> | ~~old~~ |\n");
  repo.git.Commit("a hostile readme");
  REQUIRE(s.Call("POST", "/api/v1/projects", repo.Body("web"), alpha).status == 201);
  REQUIRE(s.Call("POST", "/api/v1/projects", repo.Body("web"), beta).status == 201);
  for (const std::string& token : {alpha, beta}) {
    HttpReply started = s.Call("POST", "/api/v1/projects/web/sync", "", token);
    INFO(started.body);
    REQUIRE(started.status == 202);
    rapidjson::Document run = FinishedRun(s, Str(started.Json(), "url"), token);
    REQUIRE(Str(run, "outcome") == "succeeded");
    // Results are never shared between tenants: each analyses its own copy.
    REQUIRE(run["analysis"].HasMember("code"));
    CHECK(run["analysis"]["code"]["analyzed"].GetInt() >= 2);
    CHECK(run["analysis"]["code"]["reused"].GetInt() == 0);
  }

  HttpReply found = s.Get("/api/v1/projects/web/symbols?q=MAIN&kind=function", alpha);
  INFO(found.body);
  REQUIRE(found.status == 200);
  rapidjson::Document hits = found.Json();
  REQUIRE(hits["symbols"].Size() == 1);
  CHECK(Str(hits["symbols"][0], "path") == "src/main.cc");
  CHECK(Str(hits["symbols"][0], "match") == "name");
  CHECK(hits["symbols"][0]["start_line"].GetInt() == 1);
  CHECK(hits["more"].IsFalse());
  CHECK(s.Get("/api/v1/projects/web/symbols?q=hello&path=src/", alpha).Json()["symbols"].Size() == 0);
  CHECK(s.Get("/api/v1/projects/web/symbols?q=hello", alpha).Json()["symbols"].Size() == 1);  // README's heading

  HttpReply analysis = s.Get("/api/v1/projects/web/analysis/src/main.cc", alpha);
  INFO(analysis.body);
  REQUIRE(analysis.status == 200);
  rapidjson::Document doc = analysis.Json();
  CHECK(Str(doc, "outcome") == "analyzed");
  CHECK(Str(doc, "language") == "cpp");
  CHECK(doc["data"].IsObject());
  REQUIRE(doc["symbols"].Size() == 1);
  CHECK(Str(doc["symbols"][0], "name") == "main");
  CHECK(Str(s.Get("/api/v1/projects/web/analysis/data/blob.bin", alpha).Json(), "outcome") == "skipped");

  // The documentation pages: the project's index (with its README, made
  // harmless), a folder's, a file's.
  HttpReply index = s.Get("/api/v1/projects/web/docs", alpha);
  INFO(index.body);
  REQUIRE(index.status == 200);
  rapidjson::Document root = index.Json();
  CHECK(Str(root, "page") == "_index.md");
  CHECK_THAT(Str(root, "markdown"), Catch::Contains("[src/](src/_index.md)"));
  CHECK_THAT(Str(root, "html"), Catch::Contains("<h1>hello</h1>"));
  CHECK_THAT(Str(root, "html"), !Catch::Contains("<script") && !Catch::Contains("javascript:"));
  // GitHub's tables and strikethrough render; raw HTML in a cell does not.
  CHECK_THAT(Str(root, "html"), Catch::Contains("<table>") && Catch::Contains("<th>name</th>") &&
                                    Catch::Contains("<del>old</del>"));
  CHECK_THAT(Str(root, "html"), !Catch::Contains("<img") && !Catch::Contains("| name |"));
  rapidjson::Document folder = s.Get("/api/v1/projects/web/docs/src/", alpha).Json();
  CHECK(Str(folder, "page") == "src/_index.md");
  CHECK_THAT(Str(folder, "markdown"), Catch::Contains("main.cc"));
  if (Str(folder, "markdown").find("\n|") != std::string::npos) CHECK_THAT(Str(folder, "html"), Catch::Contains("<table>"));
  rapidjson::Document file = s.Get("/api/v1/projects/web/docs/src/main.cc", alpha).Json();
  CHECK(Str(file, "page") == "src/main.cc.md");
  CHECK_THAT(Str(file, "html"), Catch::Contains("<h3>main</h3>"));
  CHECK(s.Get("/api/v1/projects/web/docs/no/such", alpha).status == 404);
  CHECK(s.Get("/api/v1/projects/web/docs", s.token).status == 404);

  // Bad input names the parameter; nothing of another tenant shows.
  CHECK(s.Get("/api/v1/projects/web/symbols", alpha).status == 400);
  CHECK(Str(s.Get("/api/v1/projects/web/symbols?q=x&limit=0", alpha).Json(), "parameter") == "limit");
  CHECK(Str(s.Get("/api/v1/projects/web/symbols?q=x&color=red", alpha).Json(), "type") ==
        "urn:tether:problem:invalid-parameter");
  CHECK(s.Get("/api/v1/projects/web/symbols?q=x&analyzer=none", alpha).status == 404);
  CHECK(s.Get("/api/v1/projects/web/analysis/no/such/file.cc", alpha).status == 404);
  CHECK(s.Get("/api/v1/projects/web/symbols?q=main", s.token).status == 404);  // the default tenant has no "web"
}

TEST_CASE("the server collects analysis results no document needs any more, and keeps the rest") {
  Served s(R"("analysis_gc_seconds": 1, "analysis_gc_grace_seconds": 0)", "", R"({"name": "code", "kind": "analyzer"})");
  Repo repo(s.env.dir() / "repo");
  REQUIRE(s.Call("POST", "/api/v1/projects", repo.Body("web")).status == 201);
  REQUIRE(Str(FinishedRun(s, Str(s.Call("POST", "/api/v1/projects/web/sync").Json(), "url")), "outcome") == "succeeded");
  REQUIRE(s.Count("SELECT COUNT(*) FROM analysis_symbols WHERE name = 'main'") == 1);
  repo.git.Remove("src/main.cc");
  repo.git.Commit("no main");
  REQUIRE(Str(FinishedRun(s, Str(s.Call("POST", "/api/v1/projects/web/sync").Json(), "url")), "outcome") == "succeeded");
  // Within a few collections (marked unused, then removed), main.cc's result goes.
  CHECK(Eventually([&] { return s.Count("SELECT COUNT(*) FROM analysis_symbols WHERE name = 'main'") == 0; }, 10));
  CHECK(s.Count("SELECT COUNT(*) FROM analysis_symbols WHERE kind = 'heading'") == 1);  // README's stays
}

TEST_CASE("a project with a schedule syncs by itself, one without does not, and the schedule changes through the API") {
  Served s(R"("schedule_poll_ms": 100)");
  Repo repo(s.env.dir() / "repo");
  HttpReply timed = s.Call("POST", "/api/v1/projects", repo.Body("timed", R"(, "schedule": "1s")"));
  INFO(timed.body);
  REQUIRE(timed.status == 201);
  CHECK(Str(timed.Json(), "schedule") == "1s");
  REQUIRE(s.Call("POST", "/api/v1/projects", repo.Body("manual")).status == 201);
  HttpReply bad = s.Call("POST", "/api/v1/projects", repo.Body("bad", R"(, "schedule": "soon")"));
  CHECK(bad.status == 400);
  CHECK_THAT(bad.body, Catch::Contains("schedule"));
  CHECK(s.Count("SELECT COUNT(*) FROM projects WHERE name = 'bad'") == 0);

  auto scheduled_runs = [&](const std::string& project) {
    return s.Count("SELECT COUNT(*) FROM sync_runs r JOIN projects p ON p.id = r.project_id WHERE p.name = '" +
                   project + "' AND r.trigger = 'schedule' AND r.outcome IN ('succeeded', 'noop')");
  };
  // Synced without anyone asking, and a new commit is picked up the same way.
  REQUIRE(Eventually([&] { return scheduled_runs("timed") >= 1; }, 20));
  repo.git.Write("later.txt", "later\n");
  const std::string head = repo.git.Commit("more");
  CHECK(Eventually([&] {
    return s.Text("SELECT c.commit_id FROM storage_cursors c JOIN projects p ON p.id = c.project_id"
                  " WHERE p.name = 'timed'") == head;
  }, 20));
  rapidjson::Document shown = s.Get("/api/v1/projects/timed").Json();
  CHECK(shown["next_sync_at"].IsString());
  // /metrics counts what the scheduler started, and shows its queue and lag.
  HttpReply metrics = s.Get("/metrics");
  REQUIRE(metrics.status == 200);
  const size_t at = metrics.body.find("\ntether_scheduled_syncs_total ");
  REQUIRE(at != std::string::npos);
  CHECK(std::stoll(metrics.body.substr(at + 30)) >= 2);
  CHECK_THAT(metrics.body, Catch::Contains("\ntether_schedule_due ") && Catch::Contains("\ntether_schedule_lag_seconds "));
  CHECK(s.Count("SELECT COUNT(*) FROM sync_runs r JOIN projects p ON p.id = r.project_id WHERE p.name = 'manual'") == 0);

  // Off: no scheduled run starts any more (one already running may end).
  HttpReply off = s.Call("PATCH", "/api/v1/projects/timed", R"({"schedule": "off"})");
  INFO(off.body);
  REQUIRE(off.status == 200);
  CHECK(Str(off.Json(), "schedule") == "off");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const long long before = scheduled_runs("timed");
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  CHECK(scheduled_runs("timed") == before);
  // "default": the config's default again (off here).
  HttpReply back = s.Call("PATCH", "/api/v1/projects/timed", R"({"schedule": "default"})");
  INFO(back.body);
  REQUIRE(back.status == 200);
  CHECK(back.Json()["schedule"].IsNull());
  CHECK(s.Call("PATCH", "/api/v1/projects/timed", R"({"schedule": "0s"})").status == 400);
}

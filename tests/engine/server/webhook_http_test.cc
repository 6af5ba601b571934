// POST /webhooks/github through the real server: signature checked, a push
// starts a sync of the project that follows the branch (recorded with the
// trigger "webhook"), bodies up to 25 MB.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/db/project_store.h"
#include "engine/webhooks/github_webhook.h"
#include "serve_harness.h"

using tether::testing::Eventually;
using tether::testing::HttpReply;
using tether::testing::ServeEnv;
using tether::testing::ServeProcess;

namespace {

const char kSecret[] = "webhook secret of the test";

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(TETHER_SOURCE_DIR) + "/tests/fixtures/github/webhooks/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

HttpReply Deliver(ServeProcess& serve, const std::string& event, const std::string& id, const std::string& body,
                  const std::string& signature) {
  return serve.client().Send("POST", "/webhooks/github", body,
                             {{"X-GitHub-Event", event}, {"X-GitHub-Delivery", id}, {"X-Hub-Signature-256", signature}});
}

// The recorded push, to `branch` of Codertocat/Hello-World.
std::string PushTo(const std::string& branch) {
  std::string body = Fixture("push-new-branch.json");
  const std::string ref = "\"ref\": \"refs/heads/master\"";
  const size_t at = body.find(ref);
  REQUIRE(at != std::string::npos);
  return body.replace(at, ref.size(), "\"ref\": \"refs/heads/" + branch + "\"");
}

HttpReply DeliverSigned(ServeProcess& serve, const std::string& id, const std::string& body) {
  return Deliver(serve, "push", id, body, tether::webhooks::GithubSignature(kSecret, body));
}

// A project "hello" on the gated provider whose repository name is the
// recorded pushes' repository, so that their webhooks reach it.
std::filesystem::path AddGatedHello(ServeEnv& env, const std::string& name = "hello") {
  std::filesystem::path gate = env.GateDir("Codertocat/Hello-World");
  tether::db::ProjectStore projects(&env.cli().db());
  tether::db::NewProject p;
  p.name = name;
  p.provider = "gated-provider";
  p.storage = "sql-storage";
  p.repo_url = "Codertocat/Hello-World";
  p.branch = "main";
  REQUIRE(projects.Add(p).ok());
  return gate;
}

long long Runs(ServeEnv& env, const std::string& project) {
  return env.cli().Count("SELECT COUNT(*) FROM sync_runs r JOIN projects p ON p.id = r.project_id WHERE p.name = '" +
                         project + "'");
}

// The triggers of `project`'s runs, as the API lists them (newest first).
std::vector<std::string> Triggers(ServeEnv& env, ServeProcess& serve, const std::string& project) {
  HttpReply listed = serve.client().Send("GET", "/api/v1/projects/" + project + "/runs", "",
                                         {{"Authorization", "Bearer " + env.Token("reader")}});
  INFO(listed.body);
  REQUIRE(listed.status == 200);
  std::vector<std::string> triggers;
  const rapidjson::Document runs = listed.Json();  // kept: the loop reads into it
  for (const auto& run : runs["runs"].GetArray()) triggers.push_back(run["trigger"].GetString());
  return triggers;
}

}  // namespace

TEST_CASE("pushes that arrive while their project syncs make one more run after it") {
  ServeEnv env(std::string("\"github_webhook_secret\": \"") + kSecret + "\"");
  const std::filesystem::path gate = AddGatedHello(env);
  // Held where it holds the project but no write transaction: on SQLite a
  // delivery waits for a running write (see the README).
  std::ofstream(gate / "hold-discover") << "1";
  ServeProcess serve(env.config());
  const std::string body = PushTo("main");

  HttpReply first = DeliverSigned(serve, "d-0", body);
  INFO(first.body);
  REQUIRE(first.status == 202);
  const bool held = Eventually([&] { return std::filesystem::exists(gate / "in-discover"); });
  INFO(env.cli().Text("SELECT COALESCE(error, '') FROM sync_runs ORDER BY id DESC LIMIT 1"));
  REQUIRE(held);
  // Ten pushes while the run writes: each is accepted for the project.
  for (int i = 1; i <= 10; ++i) {
    HttpReply during = DeliverSigned(serve, "d-" + std::to_string(i), body);
    INFO(during.body);
    CHECK(during.status == 202);
    CHECK_THAT(during.body, Catch::Contains("\"queued\":[\"hello\"]"));
  }
  CHECK(Runs(env, "hello") == 1);
  CHECK(env.cli().Count("SELECT resync_requested FROM project_syncs") == 1);

  std::filesystem::remove(gate / "hold-discover");
  // The run ends, and exactly one more follows it: the ten make one.
  auto settled = [&] {
    return Runs(env, "hello") >= 2 && env.cli().Count("SELECT COUNT(*) FROM sync_runs WHERE outcome = 'running'") == 0 &&
           env.cli().Text("SELECT status FROM project_syncs") != "running";
  };
  REQUIRE(Eventually(settled));
  CHECK(Runs(env, "hello") == 2);
  CHECK(env.cli().Text("SELECT outcome FROM sync_runs ORDER BY id LIMIT 1") == "succeeded");
  CHECK(env.cli().Text("SELECT outcome FROM sync_runs ORDER BY id DESC LIMIT 1") == "noop");
  CHECK(env.cli().Count("SELECT resync_requested FROM project_syncs") == 0);
  // Both are the push's runs, the one after too.
  CHECK(Triggers(env, serve, "hello") == std::vector<std::string>{"webhook", "webhook"});
  CHECK(serve.Stop() == 0);
}

TEST_CASE("a push during a run whose server is killed is synced when the next server starts") {
  ServeEnv env(std::string("\"github_webhook_secret\": \"") + kSecret + "\"");
  const std::filesystem::path gate = AddGatedHello(env);
  std::ofstream(gate / "hold-discover") << "1";
  const std::string body = PushTo("main");
  {
    ServeProcess serve(env.config());
    REQUIRE(DeliverSigned(serve, "d-0", body).status == 202);
    REQUIRE(Eventually([&] { return std::filesystem::exists(gate / "in-discover"); }));
    REQUIRE(DeliverSigned(serve, "d-1", body).status == 202);
    CHECK(serve.Stop(SIGKILL) == 128 + SIGKILL);
  }
  std::filesystem::remove(gate / "hold-discover");
  REQUIRE(env.cli().Count("SELECT resync_requested FROM project_syncs") == 1);

  ServeProcess serve(env.config());
  REQUIRE(Eventually([&] {
    return env.cli().Text("SELECT outcome FROM sync_runs ORDER BY id DESC LIMIT 1") == "succeeded";
  }));
  CHECK(Runs(env, "hello") == 2);
  CHECK(env.cli().Text("SELECT outcome FROM sync_runs ORDER BY id LIMIT 1") == "interrupted");
  CHECK(env.cli().Count("SELECT resync_requested FROM project_syncs") == 0);
  CHECK(Triggers(env, serve, "hello") == std::vector<std::string>{"webhook", "webhook"});
  CHECK(serve.Stop() == 0);
}

TEST_CASE("a push while every sync worker is busy waits in the database and runs once one is free, once") {
  ServeEnv env(std::string("\"github_webhook_secret\": \"") + kSecret + "\", \"sync_workers\": 1, \"sync_queue\": 0");
  const std::filesystem::path gate = AddGatedHello(env);
  // Another project takes the only sync worker and holds it.
  const std::filesystem::path busy = env.GateDir("busy");
  {
    tether::db::ProjectStore projects(&env.cli().db());
    tether::db::NewProject p;
    p.name = "busy";
    p.provider = "gated-provider";
    p.storage = "sql-storage";
    p.repo_url = busy.string();
    p.branch = "main";
    REQUIRE(projects.Add(p).ok());
  }
  std::ofstream(busy / "hold-discover") << "1";
  ServeProcess serve(env.config());
  const std::string token = env.Token("ops");
  HttpReply started = serve.client().Send("POST", "/api/v1/projects/busy/sync", "", {{"Authorization", "Bearer " + token}});
  INFO(started.body);
  REQUIRE(started.status == 202);
  REQUIRE(Eventually([&] { return std::filesystem::exists(busy / "in-discover"); }));

  const std::string body = PushTo("main");
  HttpReply queued = DeliverSigned(serve, "d-1", body);
  INFO(queued.body);
  CHECK(queued.status == 202);
  CHECK_THAT(queued.body, Catch::Contains("\"queued\":[\"hello\"]"));
  CHECK(env.cli().Count("SELECT COUNT(*) FROM webhook_deliveries") == 1);
  // Waiting in the database, as a webhook's request; nothing runs it yet.
  CHECK(env.cli().Count("SELECT COUNT(*) FROM project_syncs s JOIN projects j ON j.id = s.project_id"
                        " WHERE j.name = 'hello' AND s.sync_requested_trigger = 'webhook'") == 1);
  ::usleep(1500 * 1000);
  CHECK(Runs(env, "hello") == 0);

  std::filesystem::remove(busy / "hold-discover");
  CHECK(Eventually([&] { return env.cli().Text("SELECT status FROM project_syncs p JOIN projects j ON j.id = p.project_id"
                                               " WHERE j.name = 'hello'") == "synced"; }));
  CHECK(DeliverSigned(serve, "d-1", body).body.find("duplicate delivery ignored") != std::string::npos);
  CHECK(Runs(env, "hello") == 1);
  CHECK(env.cli().Text("SELECT r.trigger FROM sync_runs r JOIN projects j ON j.id = r.project_id WHERE j.name = 'hello'") ==
        "webhook");
  CHECK(serve.Stop() == 0);
}

TEST_CASE("a signed push over HTTP starts a sync of the following project, recorded as a webhook run") {
  ServeEnv env(std::string("\"github_webhook_secret\": \"") + kSecret + "\"");
  // A clone of the pushed repository at a path ending in its name: a local
  // path, which a push never syncs (it is not the pushed repository).
  tether::testing::GitRepo clone(env.dir() / "Codertocat" / "Hello-World");
  clone.Write("README", "hello\n");
  clone.Commit("first");
  clone.Git("branch -m main master");
  {
    tether::db::ProjectStore projects(&env.cli().db());
    for (auto [name, repo] : {std::pair<std::string, std::string>{"hello", "https://github.com/Codertocat/Hello-World.git"},
                              {"clone", clone.path().string()}}) {
      tether::db::NewProject p;
      p.name = name;
      p.provider = "local-git";
      p.storage = "sql-storage";
      p.repo_url = repo;
      p.branch = "master";
      REQUIRE(projects.Add(p).ok());
    }
  }
  ServeProcess serve(env.config());
  const std::string body = Fixture("push-new-branch.json");

  HttpReply forged = Deliver(serve, "push", "d-1", body, tether::webhooks::GithubSignature("guess", body));
  CHECK(forged.status == 401);
  CHECK(forged.Header("content-type") == "application/problem+json");
  CHECK(std::string(forged.Json()["type"].GetString()) == "urn:tether:problem:unauthenticated");
  CHECK_THAT(std::string(forged.Json()["detail"].GetString()), Catch::Contains("X-Hub-Signature-256"));
  CHECK(env.cli().Count("SELECT COUNT(*) FROM sync_runs") == 0);

  HttpReply accepted = Deliver(serve, "push", "d-2", body, tether::webhooks::GithubSignature(kSecret, body));
  INFO(accepted.body);
  CHECK(accepted.status == 202);
  // local-git says the project whose URL is the delivery's clone_url is the
  // pushed repository, and not the one at a local path.
  CHECK_THAT(accepted.body, Catch::Contains("\"queued\":[\"hello\"]"));
  CHECK_THAT(accepted.body, Catch::Contains("\"skipped\":[]"));
  // The runner took it: a run of the project is recorded, as a webhook's (it
  // fails, since local-git cannot open an https URL, which is fine here).
  CHECK(Eventually([&] { return env.cli().Count("SELECT COUNT(*) FROM sync_runs WHERE outcome <> 'running'") == 1; }));
  CHECK(env.cli().Text("SELECT trigger FROM sync_runs") == "webhook");
  CHECK(Triggers(env, serve, "hello") == std::vector<std::string>{"webhook"});
  CHECK(Runs(env, "clone") == 0);

  HttpReply ping = Deliver(serve, "ping", "d-3", Fixture("ping.json"),
                           tether::webhooks::GithubSignature(kSecret, Fixture("ping.json")));
  CHECK(ping.status == 200);
  CHECK(serve.Stop() == 0);
}

TEST_CASE("webhook bodies above the API limit are accepted up to 25 MB") {
  ServeEnv env(std::string("\"github_webhook_secret\": \"") + kSecret + "\"");
  ServeProcess serve(env.config());
  // 2 MB: more than an API body may be; the signature is checked, then the
  // payload is found not to be a push.
  std::string two_mb = "{\"ref\": \"refs/heads/x\", \"padding\": \"" + std::string(2u << 20, 'a') + "\"}";
  HttpReply big = Deliver(serve, "push", "d-1", two_mb, tether::webhooks::GithubSignature(kSecret, two_mb));
  CHECK(big.status == 400);  // no repository.full_name: bad payload, not a 413
  std::string too_big(25u * 1024 * 1024 + 1, 'x');
  HttpReply refused = Deliver(serve, "push", "d-2", too_big, "sha256=00");
  CHECK(refused.status == 413);
  CHECK(refused.Header("content-type") == "application/problem+json");
  CHECK_THAT(refused.body, Catch::Contains(std::to_string(25u * 1024 * 1024) + " bytes"));
  CHECK(big.Header("content-type") == "application/problem+json");
  // Neither is recorded: a delivery is recorded only when it is acted on.
  CHECK(env.cli().Count("SELECT COUNT(*) FROM webhook_deliveries") == 0);
  CHECK(serve.Stop() == 0);
}

TEST_CASE("a signed webhook body nested a million levels deep is refused, records nothing, and serve lives on") {
  ServeEnv env(std::string("\"github_webhook_secret\": \"") + kSecret + "\"");
  ServeProcess serve(env.config());
  const std::string deep = std::string(1000000, '[') + std::string(1000000, ']');
  for (const char* event : {"push", "ping"}) {
    INFO(event);
    HttpReply refused = Deliver(serve, event, std::string("deep-") + event, deep,
                                tether::webhooks::GithubSignature(kSecret, deep));
    INFO(refused.body);
    CHECK(refused.status == 400);
    CHECK_THAT(refused.body, Catch::Contains("webhook body: JSON nested deeper than 64 levels at offset 64"));
  }
  CHECK(serve.Running());
  CHECK(env.cli().Count("SELECT COUNT(*) FROM webhook_deliveries") == 0);
  // The server still answers, and the refused delivery may come again.
  const std::string ping = Fixture("ping.json");
  HttpReply pong = Deliver(serve, "ping", "deep-ping", ping, tether::webhooks::GithubSignature(kSecret, ping));
  CHECK(pong.status == 200);
  CHECK(env.cli().Count("SELECT COUNT(*) FROM webhook_deliveries") == 1);
  CHECK(serve.Stop() == 0);
}

TEST_CASE("without a webhook secret every delivery is refused with 503 problem details") {
  ServeEnv env;
  ServeProcess serve(env.config());
  const std::string body = Fixture("ping.json");
  HttpReply refused = Deliver(serve, "ping", "d-1", body, tether::webhooks::GithubSignature("anything", body));
  CHECK(refused.status == 503);
  CHECK(refused.Header("content-type") == "application/problem+json");
  CHECK_THAT(std::string(refused.Json()["detail"].GetString()), Catch::Contains("no webhook secret is configured"));
  CHECK(env.cli().Count("SELECT COUNT(*) FROM webhook_deliveries") == 0);
  CHECK(serve.Stop() == 0);
}

// POST /webhooks/github through the real server: signature checked, a push
// starts a sync of the project that follows the branch, bodies up to 25 MB.
#include <catch2/catch.hpp>

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

}  // namespace

TEST_CASE("a signed push over HTTP starts a sync of the following project") {
  ServeEnv env(std::string("\"github_webhook_secret\": \"") + kSecret + "\"");
  {
    tether::db::ProjectStore projects(&env.cli().db());
    tether::db::NewProject p;
    p.name = "hello";
    p.provider = "local-git";
    p.storage = "sql-storage";
    p.repo_url = "Codertocat/Hello-World";
    p.branch = "master";
    REQUIRE(projects.Add(p).ok());
  }
  ServeProcess serve(env.config());
  const std::string body = Fixture("push-new-branch.json");

  HttpReply forged = Deliver(serve, "push", "d-1", body, tether::webhooks::GithubSignature("guess", body));
  CHECK(forged.status == 401);
  CHECK(env.cli().Count("SELECT COUNT(*) FROM sync_runs") == 0);

  HttpReply accepted = Deliver(serve, "push", "d-2", body, tether::webhooks::GithubSignature(kSecret, body));
  INFO(accepted.body);
  CHECK(accepted.status == 202);
  CHECK_THAT(accepted.body, Catch::Contains("\"queued\":[\"hello\"]"));
  // The runner took it: a run of the project is recorded (it fails, since
  // local-git cannot open a GitHub name, which is fine here).
  CHECK(Eventually([&] { return env.cli().Count("SELECT COUNT(*) FROM sync_runs") == 1; }));

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
  CHECK(env.cli().Count("SELECT COUNT(*) FROM webhook_deliveries") == 1);  // only the signed 2 MB one
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

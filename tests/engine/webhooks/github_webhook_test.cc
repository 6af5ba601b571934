// The GitHub webhook handler with the recorded payloads, signed by the test,
// on a real database (SQLite and PostgreSQL).
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "engine/cli/cli_harness.h"
#include "engine/db/project_store.h"
#include "engine/webhooks/github_webhook.h"
#include "support/status_checks.h"

using tether::testing::TempDir;
using tether::testing::TetherCli;
using tether::webhooks::GithubSignature;
using tether::webhooks::GithubWebhookHandler;
using tether::webhooks::WebhookRequest;
using tether::webhooks::WebhookResponse;

namespace {

const char kSecret[] = "It's a Secret to Everybody";

class RecordingQueue : public tether::webhooks::SyncQueue {
 public:
  tether::Status Enqueue(const tether::db::Project& project, const std::string& reason) override {
    queued.emplace_back(project.name, reason);
    return tether::Status::Ok();
  }
  void StartClaimed() override {}
  std::vector<std::pair<std::string, std::string>> queued;
};

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(TETHER_SOURCE_DIR) + "/tests/fixtures/github/webhooks/" + name);
  std::stringstream text;
  text << in.rdbuf();
  REQUIRE_FALSE(text.str().empty());
  return text.str();
}

// The recorded push, with some members replaced.
std::string Push(const std::string& ref, bool deleted, bool forced, const std::string& full_name) {
  rapidjson::Document doc;
  doc.Parse(Fixture("push-new-branch.json").c_str());
  auto& a = doc.GetAllocator();
  doc["ref"].SetString(ref.c_str(), a);
  doc["deleted"].SetBool(deleted);
  doc["forced"].SetBool(forced);
  doc["created"].SetBool(false);
  doc["repository"]["full_name"].SetString(full_name.c_str(), a);
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  doc.Accept(w);
  return out.GetString();
}

WebhookRequest Signed(const std::string& event, const std::string& delivery, const std::string& body) {
  return {event, delivery, GithubSignature(kSecret, body), body};
}

struct Setup {
  TempDir dir;
  TetherCli cli{dir.path()};
  RecordingQueue queue;
  GithubWebhookHandler handler{&cli.db(), &queue, {kSecret}};

  Setup() {
    tether::db::ProjectStore projects(&cli.db());
    for (auto [name, repo, branch] : {std::tuple{"hello", "Codertocat/Hello-World", "master"},
                                      std::tuple{"hello-dev", "https://github.com/codertocat/hello-world.git", "dev"},
                                      std::tuple{"other", "someone/else", "master"}}) {
      tether::db::NewProject p;
      p.name = name;
      p.provider = "github";
      p.storage = "sql-storage";
      p.repo_url = repo;
      p.branch = branch;
      REQUIRE(projects.Add(p).ok());
    }
  }
  std::string Status(const std::string& project) {
    return cli.Text("SELECT s.status FROM project_syncs s JOIN projects p ON p.id = s.project_id WHERE p.name = '" +
                    project + "'");
  }
};

}  // namespace

TEST_CASE("the signature is computed as GitHub documents it") {
  // The example from GitHub's documentation on validating deliveries.
  CHECK(GithubSignature("It's a Secret to Everybody", "Hello, World!") ==
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
}

TEST_CASE("ping is answered") {
  Setup s;
  WebhookResponse r = s.handler.Handle(Signed("ping", "d-1", Fixture("ping.json")));
  CHECK(r.status == 200);
  CHECK_THAT(r.json, Catch::Contains("pong"));
}

TEST_CASE("a push to a followed branch queues its project and no other") {
  Setup s;
  WebhookResponse r = s.handler.Handle(Signed("push", "d-1", Fixture("push-new-branch.json")));
  CHECK(r.status == 202);
  REQUIRE(s.queue.queued.size() == 1);
  CHECK(s.queue.queued[0].first == "hello");

  // A push to dev reaches the project that follows dev by URL, any case.
  s.handler.Handle(Signed("push", "d-2", Push("refs/heads/dev", false, false, "Codertocat/Hello-World")));
  REQUIRE(s.queue.queued.size() == 2);
  CHECK(s.queue.queued[1].first == "hello-dev");

  // Nobody follows this branch, or tags.
  s.handler.Handle(Signed("push", "d-3", Push("refs/heads/feature", false, false, "Codertocat/Hello-World")));
  WebhookResponse tag = s.handler.Handle(Signed("push", "d-4", Fixture("push.json")));
  CHECK(tag.status == 202);
  CHECK(s.queue.queued.size() == 2);
}

TEST_CASE("a forced push is queued as one") {
  Setup s;
  s.handler.Handle(Signed("push", "d-1", Push("refs/heads/master", false, true, "Codertocat/Hello-World")));
  REQUIRE(s.queue.queued.size() == 1);
  CHECK_THAT(s.queue.queued[0].second, Catch::Contains("forced"));
}

TEST_CASE("a deleted branch marks the project and deletes nothing") {
  Setup s;
  REQUIRE_OK(s.cli.db().Execute("INSERT INTO documents (project_id, path, blob_sha, mode, kind, size, is_binary, content,"
                                " updated_commit, updated_at) SELECT id, 'kept.txt', 'b', 33188, 'file', 4, 0, 'kept', 'c', 't'"
                                " FROM projects WHERE name = 'hello'",
                                "a document"));
  WebhookResponse r =
      s.handler.Handle(Signed("push", "d-1", Push("refs/heads/master", true, false, "Codertocat/Hello-World")));
  CHECK(r.status == 202);
  CHECK(s.queue.queued.empty());
  CHECK(s.Status("hello") == "branch_missing");
  CHECK(s.Status("other") == "never_synced");
  CHECK(s.cli.Count("SELECT COUNT(*) FROM documents") == 1);
}

TEST_CASE("a bad or missing signature gets 401 and queues nothing") {
  Setup s;
  std::string body = Fixture("push-new-branch.json");
  WebhookRequest wrong = Signed("push", "d-1", body);
  wrong.signature = GithubSignature("not the secret", body);
  CHECK(s.handler.Handle(wrong).status == 401);
  WebhookRequest tampered = Signed("push", "d-2", body);
  tampered.body += " ";
  CHECK(s.handler.Handle(tampered).status == 401);
  WebhookRequest missing = Signed("push", "d-3", body);
  missing.signature.clear();
  WebhookResponse r = s.handler.Handle(missing);
  CHECK(r.status == 401);
  CHECK_THAT(r.json, !Catch::Contains(kSecret));
  CHECK(s.queue.queued.empty());
  CHECK(s.cli.Count("SELECT COUNT(*) FROM webhook_deliveries") == 0);
}

TEST_CASE("a duplicate delivery is ignored") {
  Setup s;
  std::string body = Fixture("push-new-branch.json");
  CHECK(s.handler.Handle(Signed("push", "same-id", body)).status == 202);
  WebhookResponse again = s.handler.Handle(Signed("push", "same-id", body));
  CHECK(again.status == 200);
  CHECK_THAT(again.json, Catch::Contains("duplicate"));
  CHECK(s.queue.queued.size() == 1);
}

TEST_CASE("bodies over the limit and malformed payloads are refused and change nothing") {
  Setup s;
  GithubWebhookHandler small(&s.cli.db(), &s.queue, {kSecret, 1024});
  std::string big(2048, ' ');
  CHECK(small.Handle(Signed("push", "d-1", big)).status == 413);
  CHECK(s.handler.Handle(Signed("push", "d-2", "{not json")).status == 400);
  CHECK(s.handler.Handle(Signed("push", "d-3", "{\"ref\": 1}")).status == 400);
  CHECK(s.queue.queued.empty());
  CHECK(s.Status("hello") == "never_synced");
}

// The GitHub webhook handler with the recorded payloads, signed by the test,
// on a real database (SQLite and PostgreSQL), asking the real github and
// local-git plugins which projects a push is for.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "engine/cli/cli_harness.h"
#include "engine/db/project_store.h"
#include "engine/plugin_host/plugin_host.h"
#include "engine/webhooks/github_webhook.h"
#include "support/git_repo.h"
#include "support/status_checks.h"

using tether::testing::GitRepo;
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

// The recorded push, with some members replaced (`repository` members too,
// e.g. {"clone_url", "..."}).
std::string Push(const std::string& ref, bool deleted, bool forced, const std::string& full_name,
                 const std::vector<std::pair<std::string, std::string>>& repository = {}) {
  rapidjson::Document doc;
  doc.Parse(Fixture("push-new-branch.json").c_str());
  auto& a = doc.GetAllocator();
  doc["ref"].SetString(ref.c_str(), a);
  doc["deleted"].SetBool(deleted);
  doc["forced"].SetBool(forced);
  doc["created"].SetBool(false);
  doc["repository"]["full_name"].SetString(full_name.c_str(), static_cast<rapidjson::SizeType>(full_name.size()), a);
  for (const auto& [key, value] : repository) {
    doc["repository"][key.c_str()].SetString(value.c_str(), static_cast<rapidjson::SizeType>(value.size()), a);
  }
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  doc.Accept(w);
  return out.GetString();
}

// The bundled github and local-git plugins, as `tether serve` loads them.
std::unique_ptr<tether::plugin_host::PluginHost> Plugins(const std::filesystem::path& cache) {
  auto host = std::make_unique<tether::plugin_host::PluginHost>(TETHER_PLUGIN_DIR, "");
  tether::config::PluginConfig github, local_git;
  github.name = "github";
  github.kind = "provider";
  github.settings_json = "{\"cache_dir\": \"" + cache.string() + "\"}";
  local_git.name = "local-git";
  local_git.kind = "provider";
  local_git.settings_json = "{}";
  host->Load({github, local_git});
  for (const auto& record : host->plugins()) {
    INFO(record.name << ": " << record.error);
    REQUIRE(record.state == tether::plugin_host::PluginState::kLoaded);
  }
  return host;
}

void AddProject(tether::db::Database& db, const std::string& name, const std::string& provider,
                const std::string& repo, const std::string& branch) {
  tether::db::NewProject p;
  p.name = name;
  p.provider = provider;
  p.storage = "sql-storage";
  p.repo_url = repo;
  p.branch = branch;
  REQUIRE(tether::db::ProjectStore(&db).Add(p).ok());
}

rapidjson::Document Parsed(const WebhookResponse& r) {
  rapidjson::Document doc;
  doc.Parse(r.json.c_str());
  REQUIRE(doc.IsObject());
  return doc;
}

std::vector<std::string> Names(const rapidjson::Value& list) {
  std::vector<std::string> names;
  for (const auto& v : list.GetArray()) names.push_back(v.IsString() ? v.GetString() : v["project"].GetString());
  return names;
}

WebhookRequest Signed(const std::string& event, const std::string& delivery, const std::string& body) {
  return {event, delivery, GithubSignature(kSecret, body), body};
}

struct Setup {
  TempDir dir;
  TetherCli cli{dir.path()};
  RecordingQueue queue;
  std::unique_ptr<tether::plugin_host::PluginHost> plugins = Plugins(dir.path() / "cache");
  tether::webhooks::ProviderMatcher matcher{plugins.get()};
  GithubWebhookHandler handler{&cli.db(), &queue, &matcher, {kSecret}};

  Setup() {
    for (auto [name, repo, branch] : {std::tuple{"hello", "Codertocat/Hello-World", "master"},
                                      std::tuple{"hello-dev", "https://github.com/codertocat/hello-world.git", "dev"},
                                      std::tuple{"other", "someone/else", "master"}}) {
      AddProject(cli.db(), name, "github", repo, branch);
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
  GithubWebhookHandler small(&s.cli.db(), &s.queue, &s.matcher, {kSecret, 1024});
  std::string big(2048, ' ');
  CHECK(small.Handle(Signed("push", "d-1", big)).status == 413);
  CHECK(s.handler.Handle(Signed("push", "d-2", "{not json")).status == 400);
  CHECK(s.handler.Handle(Signed("push", "d-3", "{\"ref\": 1}")).status == 400);
  CHECK(s.queue.queued.empty());
  CHECK(s.Status("hello") == "never_synced");
}

TEST_CASE("each project's provider says whether the pushed repository is its own") {
  Setup s;
  // github: its own name of the repository, any case, on its own server only.
  AddProject(s.cli.db(), "upper", "github", "CODERTOCAT/HELLO-WORLD", "master");
  AddProject(s.cli.db(), "other-owner", "github", "Impostor/Hello-World", "master");
  AddProject(s.cli.db(), "other-server", "github", "https://ghe.example.com/Codertocat/Hello-World", "master");
  // local-git: a remote URL the delivery carries matches; a local path never
  // does, not even one ending in the repository's name (a real repository).
  AddProject(s.cli.db(), "https-clone", "local-git", "https://github.com/Codertocat/Hello-World.git", "master");
  AddProject(s.cli.db(), "scp-clone", "local-git", "git@GitHub.com:Codertocat/Hello-World", "master");
  AddProject(s.cli.db(), "wrong-case", "local-git", "https://github.com/codertocat/hello-world.git", "master");
  GitRepo checkout(s.dir.path() / "Codertocat" / "Hello-World");
  checkout.Write("README", "hello\n");
  checkout.Commit("first");
  AddProject(s.cli.db(), "local-path", "local-git", checkout.path().string(), "master");
  AddProject(s.cli.db(), "relative-path", "local-git", "Codertocat/Hello-World", "master");
  AddProject(s.cli.db(), "file-url", "local-git", "file:///Codertocat/Hello-World", "master");

  WebhookResponse r = s.handler.Handle(Signed("push", "d-1", Fixture("push-new-branch.json")));
  INFO(r.json);
  CHECK(r.status == 202);
  rapidjson::Document answer = Parsed(r);
  const std::vector<std::string> expected = {"hello", "https-clone", "scp-clone", "upper"};  // by name
  CHECK(Names(answer["queued"]) == expected);
  CHECK(Names(answer["skipped"]).empty());
  std::vector<std::string> queued;
  for (const auto& [name, reason] : s.queue.queued) queued.push_back(name);
  CHECK(queued == expected);
}

TEST_CASE("a project whose provider cannot be asked is skipped, saying why, and the others are queued") {
  Setup s;
  AddProject(s.cli.db(), "unknown-provider", "not-configured", "Codertocat/Hello-World", "master");
  AddProject(s.cli.db(), "elsewhere", "not-configured", "Codertocat/Hello-World", "dev");  // not on the pushed branch
  WebhookResponse r = s.handler.Handle(Signed("push", "d-1", Fixture("push-new-branch.json")));
  INFO(r.json);
  CHECK(r.status == 202);
  rapidjson::Document answer = Parsed(r);
  CHECK(Names(answer["queued"]) == std::vector<std::string>{"hello"});
  REQUIRE(answer["skipped"].Size() == 1);
  CHECK(std::string(answer["skipped"][0]["project"].GetString()) == "unknown-provider");
  CHECK_THAT(answer["skipped"][0]["reason"].GetString(), Catch::Contains("not-configured"));

  // A deleted branch does not mark it either.
  s.handler.Handle(Signed("push", "d-2", Push("refs/heads/master", true, false, "Codertocat/Hello-World")));
  CHECK(s.Status("hello") == "branch_missing");
  CHECK(s.Status("unknown-provider") == "never_synced");
}

TEST_CASE("hostile repository names and URLs in a push are refused, record nothing and queue nothing") {
  Setup s;
  AddProject(s.cli.db(), "dotdot", "github", "../Hello-World", "master");
  const std::string kName = "Codertocat/Hello-World";
  const std::vector<std::pair<std::string, std::string>> none;
  struct Case {
    std::string full_name;
    std::vector<std::pair<std::string, std::string>> repository;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"../Hello-World", none, R"(repository.full_name is not "owner/name")"},
      {"Codertocat/../../etc", none, R"(repository.full_name is not "owner/name")"},
      {"Codertocat/..", none, R"(repository.full_name is not "owner/name")"},
      {"/Hello-World", none, R"(repository.full_name is not "owner/name")"},
      {"Codertocat/Hello-World\n", none, "repository.full_name holds a space, a control character"},
      {std::string("Codertocat/Hello\0World", 22), none, "repository.full_name holds a space, a control character"},
      {"Codertocat/Hello World", none, "repository.full_name holds a space"},
      {"Codertocat/Hello-World\xc3\xa9", none, "non-ASCII"},
      {"Codertocat/" + std::string(100000, 'a'), none, "repository.full_name is longer than 201 characters"},
      {kName, {{"clone_url", "https://github.com/Codertocat/Hello-World.git\r\nX: y"}}, "repository.clone_url holds"},
      {kName, {{"html_url", "https://github.com/" + std::string(5000, 'x')}}, "repository.html_url is longer than 2048"},
      {kName, {{"ssh_url", "git@github.com:Codertocat/Hello World.git"}}, "repository.ssh_url holds a space"},
  };
  int delivery = 0;
  for (const Case& c : cases) {
    const std::string body = Push("refs/heads/master", false, false, c.full_name, c.repository);
    WebhookResponse r = s.handler.Handle(Signed("push", "d-" + std::to_string(++delivery), body));
    INFO(c.says);
    INFO(r.error.substr(0, 300));
    CHECK(r.status == 400);
    CHECK_THAT(r.error, Catch::Contains(c.says));
    CHECK_THAT(r.error, Catch::Contains("nothing was done"));
    CHECK(r.error.size() < 400);  // the value is not echoed
  }
  CHECK(s.queue.queued.empty());
  CHECK(s.cli.Count("SELECT COUNT(*) FROM webhook_deliveries") == 0);
  CHECK(s.Status("hello") == "never_synced");
}

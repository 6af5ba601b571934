// The ABI promise, end to end: a provider built against the previous
// minor's headers (tests/fixtures/sdk-3.0, frozen) loads in this host, is
// listed with its ABI, syncs, and a webhook push while one of its projects
// follows the pushed branch never calls the method that minor lacks
// (Provider::MatchesRepository, 3.1): no crash, its project is not synced
// and the answer says why, while the same provider built for 3.1 is synced.
//
// The 3.0 build has a virtual of its own in the slot of MatchesRepository
// that answers yes and says so on stderr (tests/fixtures/folder-provider),
// so a host that called it would sync the 3.0 project: this test sees it.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/webhooks/github_webhook.h"
#include "serve_harness.h"

using tether::testing::Eventually;
using tether::testing::HttpReply;
using tether::testing::ServeEnv;
using tether::testing::ServeProcess;
using tether::testing::ShellQuote;
namespace fs = std::filesystem;

namespace {

const char kSecret[] = "secret of the ABI test";

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(TETHER_SOURCE_DIR) + "/tests/fixtures/github/webhooks/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The recorded push to Codertocat/Hello-World, to `branch`.
std::string PushTo(const std::string& branch) {
  std::string body = Fixture("push-new-branch.json");
  const std::string ref = "\"ref\": \"refs/heads/master\"";
  const size_t at = body.find(ref);
  REQUIRE(at != std::string::npos);
  return body.replace(at, ref.size(), "\"ref\": \"refs/heads/" + branch + "\"");
}

// Both builds of the folder provider, each saying its folders are copies
// of the recorded pushes' repository.
std::string FolderPlugins() {
  std::string plugins;
  for (auto [name, path] : {std::pair<std::string, std::string>{"folder-3.0", FOLDER_30_PLUGIN},
                            {"folder", FOLDER_PLUGIN}}) {
    if (!plugins.empty()) plugins += ", ";
    plugins += "{\"name\": \"" + name + "\", \"kind\": \"provider\", \"path\": \"" + path +
               "\", \"settings\": {\"follows\": \"Codertocat/Hello-World\"}}";
  }
  return plugins;
}

fs::path Folder(const ServeEnv& env, const std::string& name) {
  const fs::path folder = env.dir() / name;
  fs::create_directories(folder);
  std::ofstream(folder / (name + ".txt")) << "content of " << name << "\n";
  return folder;
}

long long Runs(ServeEnv& env, const std::string& project, const std::string& trigger) {
  return env.cli().Count("SELECT COUNT(*) FROM sync_runs r JOIN projects p ON p.id = r.project_id WHERE p.name = '" +
                         project + "' AND r.trigger = '" + trigger + "'");
}

}  // namespace

TEST_CASE("a provider built for SDK 3.0 loads, syncs, and a push does not call what 3.0 lacks") {
  ServeEnv env(std::string("\"github_webhook_secret\": \"") + kSecret + "\"", "", FolderPlugins());

  // Loaded, and listed with the ABI it was built for.
  rapidjson::Document listed = env.cli().Json("plugins list");
  std::string old_abi, new_abi;
  for (const auto& p : listed["plugins"].GetArray()) {
    const std::string name = p["name"].GetString();
    INFO(name << ": " << (p["error"].IsString() ? p["error"].GetString() : ""));
    CHECK(std::string(p["state"].GetString()) == "loaded");
    if (name == "folder-3.0") old_abi = p["abi"].GetString();
    if (name == "folder") new_abi = p["abi"].GetString();
  }
  CHECK(old_abi == "3.0");
  CHECK(new_abi == std::string(listed["host_abi"].GetString()));
  CHECK(new_abi != old_abi);  // a newer minor of the same major
  // The table too: the ABI column of its line.
  const std::string table = env.cli().Run("plugins list").out;
  const size_t line = table.find("\nfolder-3.0 ");
  REQUIRE(line != std::string::npos);
  CHECK_THAT(table.substr(line + 1, table.find('\n', line + 1) - line - 1), Catch::Contains(" 3.0 "));

  // It adds a project and syncs it, as any provider.
  for (auto [project, provider] : {std::pair<std::string, std::string>{"old", "folder-3.0"}, {"new", "folder"}}) {
    auto added = env.cli().Run("project add " + project + " --provider " + provider + " --storage sql-storage --repo " +
                               ShellQuote(Folder(env, project).string()));
    INFO(added.err);
    REQUIRE(added.exit_code == 0);
  }
  auto synced = env.cli().Run("sync old");
  INFO(synced.out << synced.err);
  REQUIRE(synced.exit_code == 0);
  CHECK(env.cli().Count("SELECT COUNT(*) FROM documents d JOIN projects p ON p.id = d.project_id"
                        " WHERE p.name = 'old'") == 1);

  // A push to the branch both follow: the 3.1 provider is asked and says
  // yes; the 3.0 one is not asked, and its project is skipped, saying why.
  ServeProcess serve(env.config());
  const std::string body = PushTo("main");
  HttpReply pushed = serve.client().Send(
      "POST", "/webhooks/github", body,
      {{"X-GitHub-Event", "push"}, {"X-GitHub-Delivery", "abi-1"},
       {"X-Hub-Signature-256", tether::webhooks::GithubSignature(kSecret, body)}});
  INFO(pushed.body);
  REQUIRE(pushed.status == 202);
  rapidjson::Document answer = pushed.Json();
  REQUIRE(answer["queued"].Size() == 1);
  CHECK(std::string(answer["queued"][0].GetString()) == "new");
  REQUIRE(answer["skipped"].Size() == 1);
  CHECK(std::string(answer["skipped"][0]["project"].GetString()) == "old");
  CHECK_THAT(answer["skipped"][0]["reason"].GetString(),
             Catch::Contains("plugin \"folder-3.0\" is built for SDK ABI 3.0"));

  REQUIRE(Eventually([&] {
    return env.cli().Count("SELECT COUNT(*) FROM sync_runs WHERE outcome IN ('succeeded', 'noop') AND trigger = 'webhook'") == 1;
  }));
  CHECK(Runs(env, "new", "webhook") == 1);
  CHECK(Runs(env, "old", "webhook") == 0);
  CHECK(Runs(env, "old", "cli") == 1);

  // The server is fine, and the 3.0 provider syncs through it too.
  const std::string token = env.Token("ops");
  HttpReply started = serve.client().Send("POST", "/api/v1/projects/old/sync", "", {{"Authorization", "Bearer " + token}});
  INFO(started.body);
  CHECK(started.status == 202);
  CHECK(Eventually([&] { return Runs(env, "old", "api") == 1 && env.cli().Count("SELECT COUNT(*) FROM sync_runs WHERE outcome = 'running'") == 0; }));
  CHECK(serve.Running());
  CHECK_THAT(serve.Stderr(), !Catch::Contains("the host called a 3.1 method"));
  CHECK(serve.Stop() == 0);
}

// SDK 3.5 appended Storage::SearchText: a storage built for 3.4 syncs in
// this host, and a text search of its project is refused, naming the
// storage, without calling the method its vtable lacks (the 3.4 build has
// a virtual in that slot that says so on stderr and aborts).
TEST_CASE("a storage built for SDK 3.4 syncs, and text search refuses its projects without calling what 3.4 lacks") {
  ServeEnv env("", "", "{\"name\": \"memory-3.4\", \"kind\": \"storage\", \"path\": \"" MEMORY_34_PLUGIN "\"}");
  rapidjson::Document listed = env.cli().Json("plugins list");
  bool loaded = false;
  for (const auto& p : listed["plugins"].GetArray()) {
    if (std::string(p["name"].GetString()) != "memory-3.4") continue;
    loaded = std::string(p["state"].GetString()) == "loaded" && std::string(p["abi"].GetString()) == "3.4";
  }
  CHECK(loaded);
  tether::testing::GitRepo repo(env.dir() / "repo");
  repo.Write("a.txt", "a line to search for\n");
  repo.Commit("first");
  REQUIRE(env.cli().Run("project add old --storage memory-3.4 --repo " + ShellQuote(repo.path().string())).exit_code == 0);
  // The CLI syncs and searches in one process: the storage keeps what it
  // synced in that process's memory only, so each command starts empty.
  auto synced = env.cli().Run("sync old");
  INFO(synced.out << synced.err);
  REQUIRE(synced.exit_code == 0);
  auto searched = env.cli().Run("search old \"line to search\"");
  CHECK(searched.exit_code == 1);
  CHECK_THAT(searched.err, Catch::Contains("storage \"memory-3.4\" cannot search text: it is built for an SDK before 3.5"));
  CHECK_THAT(searched.err, !Catch::Contains("the host called a 3.5 method"));

  ServeProcess serve(env.config());
  const std::string token = env.Token("ops");
  HttpReply reply = serve.client().Send("GET", "/api/v1/search?project=old&q=line", "", {{"Authorization", "Bearer " + token}});
  INFO(reply.body);
  CHECK(reply.status == 503);
  CHECK_THAT(reply.body, Catch::Contains("memory-3.4"));
  CHECK(serve.Running());
  CHECK_THAT(serve.Stderr(), !Catch::Contains("the host called a 3.5 method"));
  CHECK(serve.Stop() == 0);
}

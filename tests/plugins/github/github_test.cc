// Tests of the github provider plugin, loaded from the build tree with
// dlopen exactly as the engine loads it, against the fake GitHub
// (tests/fake_github) serving bare repositories each test builds with git.
// Expected answers come from git itself (rev-parse of the repositories the
// fake serves); what the plugin asked of GitHub comes from the fake's
// request counters.
#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fake_github_process.h"
#include "support/git_repo.h"
#include "support/plugin_library.h"
#include "support/provider_checks.h"
#include "tether/plugin.h"
#include "tether/provider.h"

namespace {

namespace fs = std::filesystem;
using tether::Change;
using tether::ChangeKind;
using tether::Repository;
using tether::Status;
using tether::StatusCode;
using tether::testing::FakeGitHubProcess;
using tether::testing::RequestCounts;
using tether::testing::CollectingSink;
using tether::testing::TempDir;
using tether::testing::UpstreamRepo;

constexpr char kPluginPath[] = TETHER_PLUGIN_DIR "/libgithub.so";
constexpr char kTokenEnv[] = "TETHER_TEST_GITHUB_TOKEN";

// Tokens are opaque to the plugin: this one is long and full of
// punctuation, so nothing may assume GitHub's current formats.
const std::string& Token() {
  static const std::string token =
      "ghp_T0k3n-._~+/=:@!$&()*" + std::string(40, 'q') + "Z9" + std::string(160, '7');
  return token;
}

constexpr char kBranchEndpoint[] = "GET /repos/{owner}/{repo}/branches/{branch}";
constexpr char kRepoEndpoint[] = "GET /repos/{owner}/{repo}";
constexpr char kBranchesEndpoint[] = "GET /repos/{owner}/{repo}/branches";
constexpr char kBranchesByIdEndpoint[] = "GET /repositories/{id}/branches";
constexpr char kTokenEndpoint[] = "POST /app/installations/{installation_id}/access_tokens";

// The plugin library, loaded once and never unloaded (like the engine does).
const tether::testing::PluginLibrary& Library() {
  static const tether::testing::PluginLibrary library(kPluginPath, "github");
  return library;
}

// Creates a plugin object with `settings`; on failure returns nullptr and
// fills *error.
std::unique_ptr<tether::Plugin> CreatePlugin(const std::string& settings, Status* error) {
  return Library().Create(settings, error);
}

std::unique_ptr<tether::Plugin> CreateOrFail(const std::string& settings) {
  Status error;
  std::unique_ptr<tether::Plugin> plugin = CreatePlugin(settings, &error);
  INFO(settings << ": " << error.ToString());
  REQUIRE(plugin != nullptr);
  REQUIRE(plugin->AsProvider() != nullptr);
  return plugin;
}

std::unique_ptr<Repository> OpenOrFail(tether::Plugin& plugin, const std::string& url) {
  return tether::testing::OpenOrFail(*plugin.AsProvider(), url);
}

std::map<std::string, Change> DiffOrFail(Repository& repo, const std::string& from,
                                         const std::string& to) {
  std::map<std::string, Change> by_path;
  for (const Change& change : tether::testing::ChangesOrFail(repo, from, to)) {
    INFO("duplicate change for " << change.entry.path);
    REQUIRE(by_path.emplace(change.entry.path, change).second);
  }
  return by_path;
}

std::string ResolveOrFail(Repository& repo, const std::string& branch) {
  tether::Result<std::string> head = repo.ResolveBranch(branch);
  INFO("ResolveBranch " << branch << ": " << head.status().ToString());
  REQUIRE(head.ok());
  return *head;
}

// One test's world: a temporary folder with the bare repositories the fake
// serves, the working repositories they are published from, and the
// plugin's cache; the fake itself.
struct World {
  explicit World(const std::string& fake_config = "", const std::string& api_prefix = "") {
    fs::create_directories(repos());
    const std::string config =
        fake_config.empty() ? R"({"tokens": [")" + Token() + R"("]})" : fake_config;
    fake = std::make_unique<FakeGitHubProcess>(repos(), config, api_prefix);
    setenv(kTokenEnv, Token().c_str(), 1);
  }

  fs::path repos() const { return tmp.path() / "repos"; }
  fs::path work() const { return tmp.path() / "work"; }
  fs::path cache() const { return tmp.path() / "cache"; }

  // Settings pointing at the fake, with the token from kTokenEnv, fast
  // retries, and `extra` (",\"key\": value" pairs) appended.
  std::string Settings(const std::string& extra = "") const {
    return R"({"api_base_url": ")" + fake->api_url() + R"(", "token_env": ")" + kTokenEnv +
           R"(", "cache_dir": ")" + cache().string() +
           R"(", "retry_initial_delay_ms": 10, "retry_max_delay_ms": 40)" + extra + "}";
  }

  // A repository octo/<name> with a first commit on main.
  std::unique_ptr<UpstreamRepo> MakeRepo(const std::string& name = "app") {
    auto repo = std::make_unique<UpstreamRepo>(work(), repos(), "octo", name);
    repo->work().Write("README.md", "# " + name + "\n");
    repo->work().Commit("first");
    repo->Publish();
    return repo;
  }

  TempDir tmp;
  std::unique_ptr<FakeGitHubProcess> fake;
};

// Every message a test saw, to check that none of them holds the token.
void CheckNoToken(const Status& status) {
  INFO(status.ToString());
  CHECK(status.message().find(Token()) == std::string::npos);
  // Not even a recognisable piece of it.
  CHECK(status.message().find(Token().substr(0, 24)) == std::string::npos);
}

}  // namespace

TEST_CASE("descriptor names the github provider plugin") {
  const TetherPluginDescriptor* descriptor =
      Library().Descriptor();
  REQUIRE(descriptor != nullptr);
  CHECK(descriptor->abi_major == TETHER_SDK_ABI_MAJOR);
  CHECK(descriptor->kind == TETHER_PLUGIN_PROVIDER);
  CHECK(std::string(descriptor->name) == "github");
  CHECK(std::string(descriptor->toolchain) == TETHER_TOOLCHAIN_TAG);
}

TEST_CASE("settings are checked and bad ones are refused naming the key") {
  TempDir tmp;
  const std::string cache = R"("cache_dir": ")" + (tmp.path() / "cache").string() + R"(")";
  SECTION("defaults and an explicit GitHub Enterprise Server URL are accepted") {
    for (const std::string& settings :
         {std::string("{}"), std::string(""), "{" + cache + "}",
          R"({"api_base_url": "https://ghe.example/api/v3/", "token_env": "X", )" + cache + "}"}) {
      Status error;
      INFO(settings);
      std::unique_ptr<tether::Plugin> plugin = CreatePlugin(settings, &error);
      INFO(error.ToString());
      CHECK(plugin != nullptr);
    }
  }
  SECTION("unknown keys wrong types and conflicting auth are InvalidArgument naming the key") {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {R"({"tokn_env": "GITHUB_TOKEN"})", "tokn_env"},
        {R"({"app": {"app_id": 1, "installation_id": 2, "private_key_file": "/k", "extra": 1}})",
         "app.extra"},
        {R"({"max_retries": "three"})", "max_retries"},
        {R"({"max_retries": -1})", "max_retries"},
        {R"({"token_env": "A", "token_file": "/t"})", "token_file"},
        {R"({"api_base_url": "ftp://example.com"})", "api_base_url"},
        {R"({"api_base_url": "http://github.example.com"})", "https"},
        {R"({"app": {"app_id": 1, "installation_id": 2}})", "app.private_key_file"},
        {R"([1, 2])", "object"},
        {R"({"token_env": )", "JSON"},
    };
    for (const auto& [settings, named] : cases) {
      Status error;
      std::unique_ptr<tether::Plugin> plugin = CreatePlugin(settings, &error);
      INFO(settings << " -> " << error.ToString());
      CHECK(plugin == nullptr);
      CHECK(error.code() == StatusCode::kInvalidArgument);
      CHECK_THAT(error.message(), Catch::Contains(named));
    }
  }
  SECTION("an App key file that is missing or not an RSA key is refused at creation") {
    const fs::path not_a_key = tmp.path() / "not-a-key.pem";
    std::ofstream(not_a_key) << "hello\n";
    for (const fs::path& key : {tmp.path() / "missing.pem", not_a_key}) {
      const std::string settings = R"({"app": {"app_id": 1, "installation_id": 2, )"
                                   R"("private_key_file": ")" +
                                   key.string() + R"("}, )" + cache + "}";
      Status error;
      CHECK(CreatePlugin(settings, &error) == nullptr);
      CHECK(error.code() == StatusCode::kInvalidArgument);
      CHECK_THAT(error.message(), Catch::Contains(key.string()));
    }
  }
}

TEST_CASE("Open maps owner/name and GitHub URLs and refuses other servers") {
  World world;
  auto upstream = world.MakeRepo("app");
  const std::string head = upstream->BareGit("rev-parse main");
  auto plugin = CreateOrFail(world.Settings());
  for (const std::string& url :
       {std::string("octo/app"), std::string("octo/app.git"), std::string("OCTO/App"),
        world.fake->web_url() + "/octo/app", world.fake->web_url() + "/octo/app.git",
        world.fake->web_url() + "/octo/app/"}) {
    INFO(url);
    auto repo = OpenOrFail(*plugin, url);
    CHECK(ResolveOrFail(*repo, "main") == head);
  }
  for (const std::string& url :
       {std::string("app"), std::string("octo/app/extra"), std::string("../etc/passwd"),
        std::string("https://gitlab.com/octo/app"), std::string("ssh://github.com/octo/app"),
        std::string("octo/a b"), std::string("")}) {
    INFO(url);
    auto opened = plugin->AsProvider()->Open(url);
    CHECK_FALSE(opened.ok());
    CHECK(opened.status().code() == StatusCode::kInvalidArgument);
  }
}

// What a push delivery of `full_name` from `web` (a server's web root) says.
tether::RepositoryMention Delivery(const std::string& web, const std::string& full_name) {
  tether::RepositoryMention m;
  m.forge = "github";
  m.full_name = full_name;
  m.html_url = web + "/" + full_name;
  m.clone_url = web + "/" + full_name + ".git";
  m.svn_url = m.html_url;
  return m;
}

TEST_CASE("MatchesRepository: owner/name in any case, on the configured server only") {
  TempDir tmp;
  const std::string cache = R"("cache_dir": ")" + (tmp.path() / "cache").string() + R"(")";
  auto github = CreateOrFail("{" + cache + "}");
  tether::Provider& dotcom = *github->AsProvider();
  const tether::RepositoryMention push = Delivery("https://github.com", "Codertocat/Hello-World");
  for (const std::string& url :
       {std::string("Codertocat/Hello-World"), std::string("codertocat/hello-world"),
        std::string("CODERTOCAT/Hello-World.git"), std::string("https://github.com/Codertocat/Hello-World"),
        std::string("https://github.com/codertocat/hello-world.git"), std::string("https://GitHub.com/Codertocat/Hello-World/")}) {
    INFO(url);
    CHECK(dotcom.MatchesRepository(url, push));
  }
  for (const std::string& url :
       {std::string("Impostor/Hello-World"), std::string("Codertocat/Hello-World-2"), std::string("Codertocat"),
        std::string("https://ghe.example.com/Codertocat/Hello-World"), std::string("https://gitlab.com/Codertocat/Hello-World"),
        std::string("git@github.com:Codertocat/Hello-World.git"), std::string("../Codertocat/Hello-World"),
        std::string("/srv/Codertocat/Hello-World"), std::string("")}) {
    INFO(url);
    CHECK_FALSE(dotcom.MatchesRepository(url, push));
  }
  // Only a GitHub delivery of this server, whose web address names what it says.
  tether::RepositoryMention other = push;
  other.forge = "gitlab";
  CHECK_FALSE(dotcom.MatchesRepository("Codertocat/Hello-World", other));
  CHECK_FALSE(dotcom.MatchesRepository("Codertocat/Hello-World", Delivery("https://ghe.example.com", "Codertocat/Hello-World")));
  other = push;
  other.html_url = "https://github.com/Impostor/Hello-World";
  CHECK_FALSE(dotcom.MatchesRepository("Codertocat/Hello-World", other));
  other.html_url = "";
  CHECK_FALSE(dotcom.MatchesRepository("Codertocat/Hello-World", other));
  for (const std::string& name : {std::string("Codertocat/.."), std::string("../Hello-World"),
                                  std::string("Codertocat/Hello-World/extra"), std::string("Codertocat/Hello%2FWorld"),
                                  std::string("https://github.com/Codertocat/Hello-World"),
                                  "Codertocat/" + std::string(5000, 'a')}) {
    INFO(name);
    CHECK_FALSE(dotcom.MatchesRepository(name, Delivery("https://github.com", name)));
  }

  // GitHub Enterprise Server: its own deliveries, not github.com's.
  auto enterprise = CreateOrFail(R"({"api_base_url": "https://ghe.example.com/api/v3", )" + cache + "}");
  tether::Provider& ghe = *enterprise->AsProvider();
  const tether::RepositoryMention ghe_push = Delivery("https://ghe.example.com", "team/tool");
  CHECK(ghe.MatchesRepository("team/tool", ghe_push));
  CHECK(ghe.MatchesRepository("https://ghe.example.com/Team/Tool.git", ghe_push));
  CHECK_FALSE(ghe.MatchesRepository("team/tool", Delivery("https://github.com", "team/tool")));
  CHECK_FALSE(ghe.MatchesRepository("https://github.com/team/tool", ghe_push));
}

TEST_CASE("a first diff lists every file and an incremental one only the change") {
  World world;
  auto upstream = world.MakeRepo("app");
  tether::testing::GitRepo& work = upstream->work();
  work.Write("src/a.txt", "alpha\n");
  work.Write("src/b.txt", "beta\n");
  work.Write("run.sh", "#!/bin/sh\n", /*executable=*/true);
  work.Symlink("link", "src/a.txt");
  const std::string first = work.Commit("files");
  upstream->Publish();

  auto plugin = CreateOrFail(world.Settings());
  auto repo = OpenOrFail(*plugin, "octo/app");
  REQUIRE(ResolveOrFail(*repo, "main") == first);

  auto full = DiffOrFail(*repo, "", first);
  CHECK(full.size() == 5);
  for (const std::string path : {"README.md", "src/a.txt", "src/b.txt", "run.sh", "link"}) {
    INFO(path);
    REQUIRE(full.count(path) == 1);
    CHECK(full[path].kind == ChangeKind::kAdded);
    CHECK(full[path].entry.blob_id == upstream->BareGit("rev-parse " + first + ":" + path));
  }
  CHECK(full["run.sh"].entry.kind == tether::EntryKind::kExecutable);
  CHECK(full["link"].entry.kind == tether::EntryKind::kSymlink);
  const RequestCounts after_clone = world.fake->Requests();
  CHECK(after_clone.GitRequests() > 0);

  tether::Result<tether::Blob> blob = repo->ReadBlob(full["src/a.txt"].entry.blob_id, 1024);
  REQUIRE(blob.ok());
  CHECK(blob->data == "alpha\n");
  tether::Result<tether::Blob> truncated = repo->ReadBlob(full["src/a.txt"].entry.blob_id, 3);
  REQUIRE(truncated.ok());
  CHECK(truncated->truncated);
  CHECK(truncated->size == 6);

  work.Write("src/a.txt", "alpha 2\n");
  work.Move("src/b.txt", "moved/b.txt");
  work.Write("new.txt", "new\n");
  work.Remove("run.sh");
  const std::string second = work.Commit("change");
  upstream->Publish();

  world.fake->ResetRequests();
  REQUIRE(ResolveOrFail(*repo, "main") == second);
  tether::Result<bool> ancestor = repo->IsAncestor(first, second);
  REQUIRE(ancestor.ok());
  CHECK(*ancestor);
  auto incremental = DiffOrFail(*repo, first, second);
  REQUIRE(incremental.size() == 4);
  CHECK(incremental["src/a.txt"].kind == ChangeKind::kModified);
  CHECK(incremental["src/a.txt"].entry.blob_id == upstream->BareGit("rev-parse " + second + ":src/a.txt"));
  CHECK(incremental["moved/b.txt"].kind == ChangeKind::kRenamed);
  CHECK(incremental["moved/b.txt"].old_path == "src/b.txt");
  CHECK(incremental["new.txt"].kind == ChangeKind::kAdded);
  CHECK(incremental["run.sh"].kind == ChangeKind::kDeleted);
  // The new commit was fetched once, on the same mirror.
  const RequestCounts counts = world.fake->Requests();
  CHECK(counts.Of("POST /{owner}/{repo}.git/git-upload-pack").count == 1);
  CHECK(fs::exists(world.cache() / ("127.0.0.1_" + std::to_string(world.fake->port())) / "octo" /
                   "app" / "mirror.git"));
}

TEST_CASE("a branch list past 100 branches follows the Link URLs exactly") {
  World world;
  auto upstream = world.MakeRepo("many");
  const std::string main_head = upstream->BareGit("rev-parse main");
  std::string commands;
  for (int i = 0; i < 149; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "feature/%03d", i);
    commands += std::string("create refs/heads/") + name + " " + main_head + "\n";
  }
  const fs::path input = world.tmp.path() / "refs.txt";
  std::ofstream(input) << commands;
  upstream->BareGit("update-ref --stdin < " + tether::testing::ShellQuote(input.string()));

  auto plugin = CreateOrFail(world.Settings());
  auto repo = OpenOrFail(*plugin, "octo/many");
  tether::Result<tether::BranchList> list = repo->ListBranches();
  INFO(list.status().ToString());
  REQUIRE(list.ok());
  REQUIRE(list->branches.size() == 150);
  CHECK(list->default_branch == "main");
  CHECK(std::is_sorted(list->branches.begin(), list->branches.end(),
                       [](const tether::Branch& a, const tether::Branch& b) { return a.name < b.name; }));
  int defaults = 0;
  for (const tether::Branch& branch : list->branches) {
    CHECK(branch.head == main_head);
    defaults += branch.is_default ? 1 : 0;
  }
  CHECK(defaults == 1);
  CHECK(list->branches.front().name == "feature/000");
  CHECK(list->branches[148].name == "feature/148");
  const RequestCounts counts = world.fake->Requests();
  CHECK(counts.Of(kBranchesEndpoint).count == 1);      // page 1, as asked
  CHECK(counts.Of(kBranchesByIdEndpoint).count == 1);  // page 2, from the Link header
}

TEST_CASE("an unchanged branch costs no quota and fetches nothing") {
  World world;
  auto upstream = world.MakeRepo("app");
  const std::string head = upstream->BareGit("rev-parse main");
  std::string blob_id;
  {
    auto plugin = CreateOrFail(world.Settings());
    auto repo = OpenOrFail(*plugin, "octo/app");
    REQUIRE(repo->ListBranches().ok());
    REQUIRE(ResolveOrFail(*repo, "main") == head);
    blob_id = DiffOrFail(*repo, "", head)["README.md"].entry.blob_id;
  }
  world.fake->ResetRequests();

  // A new plugin object on the same cache folder: a restarted engine.
  auto plugin = CreateOrFail(world.Settings());
  auto repo = OpenOrFail(*plugin, "octo/app");
  tether::Result<tether::BranchList> list = repo->ListBranches();
  REQUIRE(list.ok());
  CHECK(list->default_branch == "main");
  REQUIRE(list->branches.size() == 1);
  CHECK(list->branches[0].head == head);
  CHECK(ResolveOrFail(*repo, "main") == head);
  tether::Result<bool> same = repo->IsAncestor(head, head);
  REQUIRE(same.ok());
  CHECK(*same);
  tether::Result<tether::Blob> blob = repo->ReadBlob(blob_id, 1024);
  REQUIRE(blob.ok());
  CHECK(blob->data == "# app\n");

  const RequestCounts counts = world.fake->Requests();
  CHECK(counts.rate_limit_cost == 0);
  CHECK(counts.Of(kRepoEndpoint).statuses[304] == 1);
  CHECK(counts.Of(kBranchesEndpoint).statuses[304] == 1);
  CHECK(counts.Of(kBranchEndpoint).statuses[304] == 1);
  CHECK(counts.total == 3);
  CHECK(counts.GitRequests() == 0);

  SECTION("a moved branch costs one request and one fetch") {
    upstream->work().Write("b.txt", "b\n");
    const std::string next = upstream->work().Commit("second");
    upstream->Publish();
    world.fake->ResetRequests();
    CHECK(ResolveOrFail(*repo, "main") == next);
    CHECK(DiffOrFail(*repo, head, next).size() == 1);
    const RequestCounts moved = world.fake->Requests();
    CHECK(moved.Of(kBranchEndpoint).statuses[200] == 1);
    CHECK(moved.rate_limit_cost == 1);
    CHECK(moved.Of("POST /{owner}/{repo}.git/git-upload-pack").count == 1);
  }
}

TEST_CASE("the primary rate limit is reported with its reset time and honoured") {
  const int status = GENERATE(403, 429);
  World world;
  world.MakeRepo("app");
  auto plugin = CreateOrFail(world.Settings());
  auto repo = OpenOrFail(*plugin, "octo/app");
  world.fake->Control("POST", "/_fake/rate_limit",
                      R"({"remaining": 0, "reset_in": 120, "status": )" + std::to_string(status) + "}");
  tether::Result<std::string> head = repo->ResolveBranch("main");
  INFO(head.status().ToString());
  REQUIRE(head.status().code() == StatusCode::kRateLimited);
  CHECK(head.status().retry_after_seconds() >= 110);
  CHECK(head.status().retry_after_seconds() <= 121);
  CHECK_THAT(head.status().message(), Catch::StartsWith("rate limited until 20"));
  CHECK_THAT(head.status().message(), Catch::Contains("Z"));
  CheckNoToken(head.status());

  // While limited, nothing is sent: not from this object, not from another.
  world.fake->ResetRequests();
  auto again = OpenOrFail(*plugin, "octo/app")->ListBranches();
  CHECK(again.status().code() == StatusCode::kRateLimited);
  CHECK(world.fake->Requests().total == 0);
  // Nor from a restarted engine sharing the cache folder.
  auto restarted = CreateOrFail(world.Settings());
  CHECK(OpenOrFail(*restarted, "octo/app")->ResolveBranch("main").status().code() ==
        StatusCode::kRateLimited);
  CHECK(world.fake->Requests().total == 0);
}

TEST_CASE("secondary rate limits honour retry-after") {
  const int status = GENERATE(403, 429);
  World world;
  auto upstream = world.MakeRepo("app");
  auto plugin = CreateOrFail(world.Settings());
  auto repo = OpenOrFail(*plugin, "octo/app");
  world.fake->Control("POST", "/_fake/faults",
                      R"({"secondary_rate_limit": {"status": )" + std::to_string(status) +
                          R"(, "retry_after": 2, "count": 1}})");
  tether::Result<std::string> head = repo->ResolveBranch("main");
  INFO(head.status().ToString());
  REQUIRE(head.status().code() == StatusCode::kRateLimited);
  CHECK(head.status().retry_after_seconds() == 2);
  CHECK_THAT(head.status().message(), Catch::StartsWith("rate limited until "));
  CHECK_THAT(head.status().message(), Catch::Contains("secondary"));
  // Before the time is up nothing is sent; after it, all is well.
  world.fake->ResetRequests();
  CHECK(repo->ResolveBranch("main").status().code() == StatusCode::kRateLimited);
  CHECK(world.fake->Requests().total == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  CHECK(ResolveOrFail(*repo, "main") == upstream->BareGit("rev-parse main"));
}

TEST_CASE("secondary rate limits without retry-after wait a minute then exponentially") {
  World world;
  auto upstream = world.MakeRepo("app");
  SECTION("the first wait is at least 60 seconds by default") {
    auto plugin = CreateOrFail(world.Settings());
    world.fake->Control("POST", "/_fake/faults", R"({"secondary_rate_limit": {"count": 1}})");
    tether::Result<std::string> head = OpenOrFail(*plugin, "octo/app")->ResolveBranch("main");
    INFO(head.status().ToString());
    REQUIRE(head.status().code() == StatusCode::kRateLimited);
    CHECK(head.status().retry_after_seconds() >= 60);
    CHECK(head.status().retry_after_seconds() <= 61);
  }
  SECTION("limits in a row double the wait and a success starts over") {
    // One second instead of sixty, so that the test can wait it out.
    auto plugin = CreateOrFail(world.Settings(R"(, "secondary_rate_limit_min_seconds": 1)"));
    auto repo = OpenOrFail(*plugin, "octo/app");
    std::vector<int64_t> waits;
    for (int i = 0; i < 3; ++i) {
      world.fake->Control("POST", "/_fake/faults", R"({"secondary_rate_limit": {"count": 1}})");
      tether::Result<std::string> head = repo->ResolveBranch("main");
      REQUIRE(head.status().code() == StatusCode::kRateLimited);
      waits.push_back(head.status().retry_after_seconds());
      std::this_thread::sleep_for(std::chrono::seconds(waits.back()) + std::chrono::milliseconds(100));
    }
    CHECK(waits == std::vector<int64_t>{1, 2, 4});
    CHECK(ResolveOrFail(*repo, "main") == upstream->BareGit("rev-parse main"));
    world.fake->Control("POST", "/_fake/faults", R"({"secondary_rate_limit": {"count": 1}})");
    CHECK(repo->ResolveBranch("main").status().retry_after_seconds() == 1);
  }
}

TEST_CASE("a burst of server errors is retried with backoff and recovered") {
  World world;
  auto upstream = world.MakeRepo("app");
  const std::string head = upstream->BareGit("rev-parse main");
  SECTION("REST") {
    auto plugin = CreateOrFail(world.Settings());
    world.fake->Control("POST", "/_fake/faults", R"({"server_errors": {"status": 502, "count": 3}})");
    auto repo = OpenOrFail(*plugin, "octo/app");
    CHECK(ResolveOrFail(*repo, "main") == head);
    const RequestCounts counts = world.fake->Requests();
    CHECK(counts.Of(kBranchEndpoint).statuses[502] == 3);
    CHECK(counts.Of(kBranchEndpoint).statuses[200] == 1);
  }
  SECTION("git") {
    auto plugin = CreateOrFail(world.Settings());
    auto repo = OpenOrFail(*plugin, "octo/app");
    REQUIRE(ResolveOrFail(*repo, "main") == head);
    world.fake->Control("POST", "/_fake/faults",
                        R"({"server_errors": {"status": 503, "count": 2, "scope": "git"}})");
    CHECK(DiffOrFail(*repo, "", head).size() == 1);
    CHECK(world.fake->Requests().Of("GET /{owner}/{repo}.git/info/refs").statuses[503] == 2);
  }
  SECTION("errors outlasting the retries fail the call as Unavailable") {
    auto plugin = CreateOrFail(world.Settings(R"(, "max_retries": 2)"));
    world.fake->Control("POST", "/_fake/faults", R"({"server_errors": {"status": 500}})");
    tether::Result<tether::BranchList> list = OpenOrFail(*plugin, "octo/app")->ListBranches();
    INFO(list.status().ToString());
    CHECK(list.status().code() == StatusCode::kUnavailable);
    CHECK_THAT(list.status().message(), Catch::Contains("3 attempts"));
    CHECK(world.fake->Requests().total == 3);
  }
}

TEST_CASE("slow answers within the timeout succeed and past it fail as Unavailable") {
  World world;
  auto upstream = world.MakeRepo("app");
  SECTION("within") {
    auto plugin = CreateOrFail(world.Settings(R"(, "request_timeout_ms": 5000)"));
    world.fake->Control("POST", "/_fake/faults", R"({"delay_ms": {"ms": 400, "count": 2}})");
    CHECK(ResolveOrFail(*OpenOrFail(*plugin, "octo/app"), "main") ==
          upstream->BareGit("rev-parse main"));
  }
  SECTION("past") {
    auto plugin =
        CreateOrFail(world.Settings(R"(, "request_timeout_ms": 300, "max_retries": 1)"));
    world.fake->Control("POST", "/_fake/faults", R"({"delay_ms": {"ms": 1500}})");
    tether::Result<std::string> head = OpenOrFail(*plugin, "octo/app")->ResolveBranch("main");
    INFO(head.status().ToString());
    CHECK(head.status().code() == StatusCode::kUnavailable);
    CHECK_THAT(head.status().message(), Catch::Contains("2 attempts"));
  }
}

TEST_CASE("a renamed branch is followed to its new name and reported") {
  World world;
  auto upstream = world.MakeRepo("app");
  const std::string head = upstream->BareGit("rev-parse main");
  world.fake->Control("POST", "/_fake/faults",
                      R"({"branch_renames": [{"repo": "octo/app", "from": "master", "to": "main"}]})");
  auto plugin = CreateOrFail(world.Settings());
  tether::Result<std::string> renamed = OpenOrFail(*plugin, "octo/app")->ResolveBranch("master");
  INFO(renamed.status().ToString());
  REQUIRE(renamed.status().code() == StatusCode::kNotFound);
  CHECK_THAT(renamed.status().message(), Catch::Contains("renamed to 'main'"));
  CHECK_THAT(renamed.status().message(), Catch::Contains(head));
  CHECK_THAT(renamed.status().message(), Catch::Contains("nothing was deleted"));
  // It was followed: the new branch was asked for too.
  const RequestCounts counts = world.fake->Requests();
  CHECK(counts.Of(kBranchEndpoint).statuses[301] == 1);
  CHECK(counts.Of(kBranchEndpoint).statuses[200] == 1);
}

TEST_CASE("an expired or missing token is Unauthenticated and never shown") {
  World world;
  auto upstream = world.MakeRepo("app");
  auto plugin = CreateOrFail(world.Settings());
  SECTION("expired token on REST") {
    auto repo = OpenOrFail(*plugin, "octo/app");
    world.fake->Control("POST", "/_fake/tokens/expire", R"({"token": ")" + Token() + R"("})");
    tether::Result<std::string> head = repo->ResolveBranch("main");
    REQUIRE(head.status().code() == StatusCode::kUnauthenticated);
    CHECK_THAT(head.status().message(), Catch::Contains(kTokenEnv));
    CheckNoToken(head.status());
  }
  SECTION("expired token on git gives up after one try") {
    auto repo = OpenOrFail(*plugin, "octo/app");
    REQUIRE(repo->ListBranches().ok());  // the clone URL is known now
    const std::string head = ResolveOrFail(*repo, "main");
    world.fake->Control("POST", "/_fake/repos", R"({"full_name": "octo/app", "private": true})");
    world.fake->Control("POST", "/_fake/tokens/expire", R"({"token": ")" + Token() + R"("})");
    world.fake->ResetRequests();
    CollectingSink sink;
    Status diff = repo->Diff("", head, &sink);
    INFO(diff.ToString());
    CHECK(diff.code() == StatusCode::kUnauthenticated);
    CHECK(sink.changes.empty());
    CheckNoToken(diff);
    // One anonymous try, one with the token, then no more.
    CHECK(world.fake->Requests().Of("GET /{owner}/{repo}.git/info/refs").statuses[401] == 2);
  }
  SECTION("the variable is unset") {
    unsetenv(kTokenEnv);
    auto opened = plugin->AsProvider()->Open("octo/app");
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.status().code() == StatusCode::kUnauthenticated);
    CHECK_THAT(opened.status().message(), Catch::Contains(kTokenEnv));
  }
  SECTION("a token file works like the variable") {
    const fs::path file = world.tmp.path() / "token";
    std::ofstream(file) << Token() << "\n";
    // Private: only a request with the token sees it.
    world.fake->Control("POST", "/_fake/repos", R"({"full_name": "octo/app", "private": true})");
    auto from_file = CreateOrFail(R"({"api_base_url": ")" + world.fake->api_url() +
                                  R"(", "token_file": ")" + file.string() +
                                  R"(", "cache_dir": ")" + world.cache().string() + R"("})");
    auto repo = OpenOrFail(*from_file, "octo/app");
    const std::string head = ResolveOrFail(*repo, "main");
    CHECK(head == upstream->BareGit("rev-parse main"));
    CHECK(DiffOrFail(*repo, "", head).size() == 1);  // git with the token too
  }
}

TEST_CASE("a token without a permission is PermissionDenied, never a rate limit, and costs no wait") {
  World world;
  world.MakeRepo("app");
  auto plugin = CreateOrFail(world.Settings());
  auto repo = OpenOrFail(*plugin, "octo/app");
  world.fake->Control("POST", "/_fake/faults", R"({"forbidden": {"count": 1}})");
  tether::Result<tether::BranchList> denied = repo->ListBranches();
  INFO(denied.status().ToString());
  REQUIRE_FALSE(denied.ok());
  CHECK(denied.status().code() == StatusCode::kPermissionDenied);
  CHECK(denied.status().retry_after_seconds() == 0);
  CHECK_THAT(denied.status().message(), Catch::Contains("403") && Catch::Contains("Resource not accessible"));
  CheckNoToken(denied.status());
  // Nothing to wait for: the next call goes out at once and succeeds.
  tether::Result<tether::BranchList> again = repo->ListBranches();
  INFO(again.status().ToString());
  CHECK(again.ok());
}

TEST_CASE("settings nested a million levels deep are refused by name, without a crash") {
  const std::string deep = R"({"app": )" + std::string(1000000, '[') + std::string(1000000, ']') + "}";
  Status error;
  std::unique_ptr<tether::Plugin> plugin = CreatePlugin(deep, &error);
  INFO(error.ToString());
  CHECK(plugin == nullptr);
  CHECK(error.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(error.message(), Catch::Contains("settings of plugin 'github'") &&
                                  Catch::Contains("nested deeper than 64 levels at offset 71"));
}

TEST_CASE("a REST answer nested a million levels deep fails the call clearly and the next one works") {
  World world;
  world.MakeRepo("app");
  auto plugin = CreateOrFail(world.Settings());
  auto repo = OpenOrFail(*plugin, "octo/app");
  // The repository's own answer, then (after it was cached) the branch list.
  for (const char* when : {"repository", "branches"}) {
    INFO(when);
    world.fake->Control("POST", "/_fake/faults", R"({"deep_json": {"levels": 1000000, "count": 1}})");
    tether::Result<tether::BranchList> deep = repo->ListBranches();
    INFO(deep.status().ToString());
    REQUIRE_FALSE(deep.ok());
    CHECK(deep.status().code() == StatusCode::kInternal);
    CHECK_THAT(deep.status().message(), Catch::Contains("JSON nested deeper than 64 levels at offset 64"));
    CheckNoToken(deep.status());
    if (std::string(when) == "repository") {
      tether::Result<tether::BranchList> fine = repo->ListBranches();
      INFO(fine.status().ToString());
      CHECK(fine.ok());
    }
  }
  world.fake->Control("POST", "/_fake/faults", R"({"deep_json": {"levels": 1000000, "count": 1}})");
  tether::Result<tether::CommitId> resolved = repo->ResolveBranch("main");
  INFO(resolved.status().ToString());
  REQUIRE_FALSE(resolved.ok());
  CHECK_THAT(resolved.status().message(), Catch::Contains("JSON nested deeper than 64 levels"));
  CHECK(repo->ResolveBranch("main").ok());
}

TEST_CASE("a missing repository or branch is NotFound") {
  World world;
  world.MakeRepo("app");
  auto plugin = CreateOrFail(world.Settings());
  auto missing = OpenOrFail(*plugin, "octo/gone");
  for (const Status& status : {missing->ListBranches().status(), missing->ResolveBranch("main").status()}) {
    INFO(status.ToString());
    CHECK(status.code() == StatusCode::kNotFound);
    CHECK_THAT(status.message(), Catch::Contains("octo/gone"));
    CheckNoToken(status);
  }
  auto repo = OpenOrFail(*plugin, "octo/app");
  tether::Result<std::string> branch = repo->ResolveBranch("no/such/branch");
  INFO(branch.status().ToString());
  CHECK(branch.status().code() == StatusCode::kNotFound);
  CHECK_THAT(branch.status().message(), Catch::Contains("'no/such/branch'"));
}

TEST_CASE("a force push is seen as history that does not reach the old commit") {
  World world;
  auto upstream = world.MakeRepo("app");
  tether::testing::GitRepo& work = upstream->work();
  work.Write("a.txt", "a\n");
  const std::string old_head = work.Commit("to be rewritten");
  upstream->Publish();
  auto plugin = CreateOrFail(world.Settings());
  auto repo = OpenOrFail(*plugin, "octo/app");
  REQUIRE(ResolveOrFail(*repo, "main") == old_head);
  REQUIRE(DiffOrFail(*repo, "", old_head).size() == 2);

  work.Git("reset -q --hard HEAD~1");
  work.Write("b.txt", "b\n");
  const std::string new_head = work.Commit("rewritten");
  upstream->Publish();
  REQUIRE(ResolveOrFail(*repo, "main") == new_head);
  tether::Result<bool> ancestor = repo->IsAncestor(old_head, new_head);
  REQUIRE(ancestor.ok());
  CHECK_FALSE(*ancestor);
  const std::string unknown(40, 'e');
  tether::Result<bool> gone = repo->IsAncestor(unknown, new_head);
  REQUIRE(gone.ok());
  CHECK_FALSE(*gone);
  tether::Result<bool> missing = repo->IsAncestor(old_head, unknown);
  CHECK(missing.status().code() == StatusCode::kNotFound);
}

TEST_CASE("a corrupt mirror is moved aside and cloned again") {
  World world;
  auto upstream = world.MakeRepo("app");
  const std::string head = upstream->BareGit("rev-parse main");
  auto plugin = CreateOrFail(world.Settings());
  REQUIRE(DiffOrFail(*OpenOrFail(*plugin, "octo/app"), "", head).size() == 1);
  const fs::path folder =
      world.cache() / ("127.0.0.1_" + std::to_string(world.fake->port())) / "octo" / "app";
  const fs::path mirror = folder / "mirror.git";
  REQUIRE(fs::is_directory(mirror / "objects"));

  SECTION("objects lost") {
    fs::remove_all(mirror / "objects");
    fs::create_directories(mirror / "objects");
  }
  SECTION("a truncated pack") {
    int truncated = 0;
    for (const auto& entry : fs::directory_iterator(mirror / "objects" / "pack")) {
      if (entry.path().extension() != ".pack") continue;
      fs::resize_file(entry.path(), fs::file_size(entry.path()) / 2);
      ++truncated;
    }
    REQUIRE(truncated > 0);
  }
  SECTION("no configuration") { fs::remove(mirror / "config"); }
  SECTION("another remote") {
    upstream->work().Git("--git-dir=" + tether::testing::ShellQuote(mirror.string()) +
                         " remote set-url origin http://127.0.0.1:1/elsewhere.git");
  }
  // What a clone that crashed half-way leaves: removed by the next clone.
  const fs::path leftover = folder / "mirror.git.new-999999-0";
  fs::create_directories(leftover / "objects");
  world.fake->ResetRequests();
  auto repo = OpenOrFail(*plugin, "octo/app");
  CHECK(DiffOrFail(*repo, "", head).size() == 1);
  CHECK(world.fake->Requests().GitRequests() > 0);  // cloned again
  CHECK_FALSE(fs::exists(leftover));
  int aside = 0;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().filename().string().rfind("mirror.git.corrupt-", 0) == 0) ++aside;
  }
  CHECK(aside == 1);
}

TEST_CASE("repositories on one mirror fetch safely from several threads") {
  World world;
  auto upstream = world.MakeRepo("app");
  for (int i = 0; i < 20; ++i) upstream->work().Write("f" + std::to_string(i) + ".txt", std::to_string(i));
  const std::string head = upstream->work().Commit("files");
  upstream->Publish();
  auto plugin = CreateOrFail(world.Settings());
  constexpr int kThreads = 4;
  std::vector<Status> statuses(kThreads);
  std::vector<size_t> sizes(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto opened = plugin->AsProvider()->Open("octo/app");
      if (!opened.ok()) {
        statuses[t] = opened.status();
        return;
      }
      CollectingSink sink;
      statuses[t] = (*opened)->Diff("", head, &sink);
      sizes[t] = sink.changes.size();
      for (const Change& change : sink.changes) {
        tether::Result<tether::Blob> blob = (*opened)->ReadBlob(change.entry.blob_id, 1024);
        if (!blob.ok()) statuses[t] = blob.status();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    INFO("thread " << t << ": " << statuses[t].ToString());
    CHECK(statuses[t].ok());
    CHECK(sizes[t] == 21);
  }
  // Fetches were serialized: the first thread cloned, the others found the
  // commit already there.
  CHECK(world.fake->Requests().Of("POST /{owner}/{repo}.git/git-upload-pack").count == 1);
}

TEST_CASE("two repositories of one URL work at once, and ReadBlob may be the first call") {
  World world;
  auto upstream = world.MakeRepo("app");
  std::map<std::string, std::string> contents = {{"README.md", "# app\n"}};
  for (int i = 0; i < 60; ++i) {
    const std::string path = "d" + std::to_string(i % 4) + "/f" + std::to_string(i) + ".txt";
    contents[path] = "file " + std::to_string(i) + "\n" + std::string(static_cast<size_t>(i) * 53, 'a' + i % 26);
    upstream->work().Write(path, contents[path]);
  }
  upstream->work().Commit("files");
  upstream->Publish();
  auto plugin = CreateOrFail(world.Settings());
  tether::testing::CheckRepositoriesOfOneUrlAtOnce(*plugin->AsProvider(), "octo/app", "main", contents);
}

TEST_CASE("GitHub Enterprise Server API URLs under /api/v3 work") {
  World world("", "/api/v3");
  auto upstream = world.MakeRepo("app");
  const std::string head = upstream->BareGit("rev-parse main");
  auto plugin = CreateOrFail(world.Settings());
  for (const std::string& url : {std::string("octo/app"), world.fake->web_url() + "/octo/app.git"}) {
    auto repo = OpenOrFail(*plugin, url);
    tether::Result<tether::BranchList> list = repo->ListBranches();
    INFO(list.status().ToString());
    REQUIRE(list.ok());
    CHECK(list->default_branch == "main");
    CHECK(ResolveOrFail(*repo, "main") == head);
    CHECK(DiffOrFail(*repo, "", head).count("README.md") == 1);
  }
}

TEST_CASE("a GitHub App signs a JWT and renews its installation token before it expires") {
  TempDir keys;
  const fs::path private_key = keys.path() / "app.pem";
  const fs::path public_key = keys.path() / "app_pub.pem";
  int exit_code = 0;
  tether::testing::RunCommand("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " +
                                  tether::testing::ShellQuote(private_key.string()) + " 2>/dev/null",
                              &exit_code);
  REQUIRE(exit_code == 0);
  tether::testing::RunCommand("openssl pkey -in " + tether::testing::ShellQuote(private_key.string()) +
                                  " -pubout -out " + tether::testing::ShellQuote(public_key.string()),
                              &exit_code);
  REQUIRE(exit_code == 0);
  // Installation tokens live 8 s here, so the renewal (a quarter of the
  // life, 2 s, before the end) comes 5 to 6 s after a token was made.
  World world(R"({"app": {"app_id": 4242, "public_key_file": ")" + public_key.string() +
              R"(", "installations": [77], "token_ttl_seconds": 8}})");
  auto upstream = world.MakeRepo("app");
  world.fake->Control("POST", "/_fake/repos", R"({"full_name": "octo/app", "private": true})");
  const std::string head = upstream->BareGit("rev-parse main");
  auto app_settings = [&](const std::string& app_id) {
    return R"({"api_base_url": ")" + world.fake->api_url() + R"(", "app": {"app_id": )" + app_id +
           R"(, "installation_id": 77, "private_key_file": ")" + private_key.string() +
           R"("}, "cache_dir": ")" + world.cache().string() + R"(", "retry_initial_delay_ms": 10})";
  };

  SECTION("tokens are made once and renewed before they expire") {
    auto plugin = CreateOrFail(app_settings("4242"));
    auto repo = OpenOrFail(*plugin, "octo/app");
    REQUIRE(repo->ListBranches().ok());
    REQUIRE(ResolveOrFail(*repo, "main") == head);
    REQUIRE(DiffOrFail(*repo, "", head).size() == 1);  // git with the installation token
    CHECK(world.fake->Requests().Of(kTokenEndpoint).statuses[201] == 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(7000));
    CHECK(ResolveOrFail(*OpenOrFail(*plugin, "octo/app"), "main") == head);
    const RequestCounts counts = world.fake->Requests();
    CHECK(counts.Of(kTokenEndpoint).statuses[201] == 2);
    CHECK(counts.Of(kBranchEndpoint).statuses[401] == 0);
  }
  SECTION("a refused JWT is Unauthenticated naming the App") {
    auto plugin = CreateOrFail(app_settings("999"));
    tether::Result<std::string> refused = OpenOrFail(*plugin, "octo/app")->ResolveBranch("main");
    INFO(refused.status().ToString());
    CHECK(refused.status().code() == StatusCode::kUnauthenticated);
    CHECK_THAT(refused.status().message(), Catch::Contains("App 999"));
  }
  SECTION("an installation token revoked early is remade once") {
    auto plugin = CreateOrFail(app_settings("4242"));
    auto repo = OpenOrFail(*plugin, "octo/app");
    REQUIRE(ResolveOrFail(*repo, "main") == head);
    // Expire every installation token the fake issued (it lists prefixes
    // only, so reset the fake's tokens instead: the App stays configured).
    world.fake->Control("POST", "/_fake/reset");
    world.fake->Control("POST", "/_fake/repos", R"({"full_name": "octo/app", "private": true})");
    CHECK(ResolveOrFail(*repo, "main") == head);
    CHECK(world.fake->Requests().Of(kTokenEndpoint).statuses[201] == 1);  // counters were reset
  }
}

TEST_CASE("no Status message ever holds the token") {
  World world;
  auto upstream = world.MakeRepo("app");
  auto plugin = CreateOrFail(world.Settings(R"(, "max_retries": 0)"));
  auto repo = OpenOrFail(*plugin, "octo/app");
  std::vector<Status> seen;
  seen.push_back(OpenOrFail(*plugin, "octo/gone")->ResolveBranch("main").status());
  seen.push_back(repo->ResolveBranch("gone").status());
  world.fake->Control("POST", "/_fake/faults", R"({"server_errors": {"count": 1}})");
  seen.push_back(repo->ResolveBranch("main").status());
  CollectingSink sink;
  seen.push_back(repo->Diff("", std::string(40, 'a'), &sink));
  seen.push_back(repo->ReadBlob("xyz", 10).status());
  world.fake->Control("POST", "/_fake/repos", R"({"full_name": "octo/app", "private": true})");
  world.fake->Control("POST", "/_fake/tokens/expire", R"({"token": ")" + Token() + R"("})");
  seen.push_back(repo->ListBranches().status());
  upstream->work().Write("later.txt", "later\n");
  const std::string later = upstream->work().Commit("later");
  upstream->Publish();
  seen.push_back(OpenOrFail(*plugin, "octo/app")->Diff("", later, &sink));  // a fetch refused
  world.fake->Control("POST", "/_fake/faults", R"({"secondary_rate_limit": {"count": 1}})");
  world.fake->Control("POST", "/_fake/tokens", R"({"token": ")" + Token() + R"("})");
  seen.push_back(repo->ResolveBranch("main").status());
  for (const Status& status : seen) {
    CHECK_FALSE(status.ok());
    CheckNoToken(status);
  }
}

TEST_CASE("a sink error stops the diff and comes back unchanged") {
  World world;
  auto upstream = world.MakeRepo("app");
  upstream->work().Write("a.txt", "a\n");
  upstream->work().Write("b.txt", "b\n");
  const std::string head = upstream->work().Commit("more");
  upstream->Publish();
  class FullSink : public tether::ChangeSink {
   public:
    Status OnChange(const Change&) override {
      ++calls;
      return Status::Conflict("sink is full");
    }
    int calls = 0;
  } sink;
  auto plugin = CreateOrFail(world.Settings());
  Status status = OpenOrFail(*plugin, "octo/app")->Diff("", head, &sink);
  CHECK(status.code() == StatusCode::kConflict);
  CHECK(status.message() == "sink is full");
  CHECK(sink.calls == 1);
}

// The github provider end to end through the tether binary: a project
// following a repository on the fake GitHub is added, synced, synced again
// after a push, and synced once more with nothing new, which must cost no
// rate limit and fetch nothing. The database is SQLite, read back with the
// sqlite3 command.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "fake_github_process.h"
#include "support/git_repo.h"

namespace {

namespace fs = std::filesystem;
using tether::testing::FakeGitHubProcess;
using tether::testing::RequestCounts;
using tether::testing::RunCommand;
using tether::testing::ShellQuote;
using tether::testing::TempDir;
using tether::testing::UpstreamRepo;

constexpr char kTokenEnv[] = "TETHER_CLI_TEST_GITHUB_TOKEN";
const char kToken[] = "ghp_cli_Test_Token_0123456789abcdefghijklmnopqrstuvwxyz";

struct Cli {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class CliWorld {
 public:
  CliWorld() {
    fs::create_directories(dir_.path() / "repos");
    fake_ = std::make_unique<FakeGitHubProcess>(dir_.path() / "repos",
                                                std::string(R"({"tokens": [")") + kToken + R"("]})");
    setenv(kTokenEnv, kToken, 1);
    std::ofstream(config()) << R"({
  "database": "sqlite:tether.db",
  "plugins": [
    {"name": "github", "kind": "provider", "settings": {
      "api_base_url": ")" << fake_->api_url()
                            << R"(", "token_env": ")" << kTokenEnv << R"(",
      "cache_dir": ")" << (dir_.path() / "cache").string()
                            << R"(", "retry_initial_delay_ms": 10, "retry_max_delay_ms": 40}},
    {"name": "sql-storage", "kind": "storage"}
  ]
}
)";
  }

  fs::path config() const { return dir_.path() / "tether.json"; }
  FakeGitHubProcess& fake() { return *fake_; }
  const TempDir& dir() const { return dir_; }

  Cli Run(const std::string& args) const {
    const fs::path err_file = dir_.path() / "stderr.txt";
    Cli result;
    result.out = RunCommand(ShellQuote(TETHER_BIN) + " --config " + ShellQuote(config().string()) +
                                " " + args + " 2>" + ShellQuote(err_file.string()) + " </dev/null",
                            &result.exit_code);
    std::ifstream in(err_file);
    std::stringstream buffer;
    buffer << in.rdbuf();
    result.err = buffer.str();
    return result;
  }

  std::string Sql(const std::string& query) const {
    int exit_code = 0;
    std::string out = RunCommand("sqlite3 " + ShellQuote((dir_.path() / "tether.db").string()) +
                                     " " + ShellQuote(query),
                                 &exit_code);
    REQUIRE(exit_code == 0);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
  }

 private:
  TempDir dir_;
  std::unique_ptr<FakeGitHubProcess> fake_;
};

}  // namespace

TEST_CASE("a GitHub project is added and synced through the CLI and an unchanged one costs nothing") {
  CliWorld world;
  UpstreamRepo upstream(world.dir().path() / "work", world.dir().path() / "repos", "octo", "app");
  upstream.work().Write("README.md", "# app\n");
  upstream.work().Write("src/main.cc", "int main() { return 0; }\n");
  upstream.work().Write("src/util.h", "#pragma once\n");
  const std::string first = upstream.work().Commit("first");
  upstream.Publish();

  Cli migrated = world.Run("migrate apply");
  INFO(migrated.err);
  REQUIRE(migrated.exit_code == 0);
  Cli added = world.Run("project add app --provider github --repo octo/app");
  INFO(added.out << added.err);
  REQUIRE(added.exit_code == 0);
  CHECK_THAT(added.out, Catch::Contains("branch main"));

  Cli synced = world.Run("sync app");
  INFO(synced.out << synced.err);
  REQUIRE(synced.exit_code == 0);
  CHECK(world.Sql("SELECT COUNT(*) FROM documents") == "3");
  CHECK(world.Sql("SELECT commit_id FROM storage_cursors") == first);

  upstream.work().Write("src/util.h", "#pragma once\nint util();\n");
  upstream.work().Move("README.md", "docs/README.md");
  const std::string second = upstream.work().Commit("second");
  upstream.Publish();
  Cli incremental = world.Run("sync app");
  INFO(incremental.out << incremental.err);
  REQUIRE(incremental.exit_code == 0);
  CHECK_THAT(incremental.out, Catch::Contains("1 modified"));
  CHECK_THAT(incremental.out, Catch::Contains("1 renamed"));
  CHECK(world.Sql("SELECT COUNT(*) FROM documents") == "3");
  CHECK(world.Sql("SELECT content FROM documents WHERE path = 'src/util.h'") ==
        "#pragma once\nint util();");
  CHECK(world.Sql("SELECT commit_id FROM storage_cursors") == second);

  world.fake().ResetRequests();
  Cli unchanged = world.Run("sync app");
  INFO(unchanged.out << unchanged.err);
  REQUIRE(unchanged.exit_code == 0);
  CHECK_THAT(unchanged.out, Catch::Contains("up to date"));
  const RequestCounts counts = world.fake().Requests();
  CHECK(counts.total > 0);  // it did ask
  CHECK(counts.rate_limit_cost == 0);
  CHECK(counts.GitRequests() == 0);

  // An expired token fails the sync (exit 1), keeps every row, and the
  // token shows nowhere.
  world.fake().Control("POST", "/_fake/tokens/expire", std::string(R"({"token": ")") + kToken + R"("})");
  upstream.work().Write("later.txt", "later\n");
  upstream.work().Commit("later");
  upstream.Publish();
  Cli refused = world.Run("sync app");
  INFO(refused.out << refused.err);
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains(kTokenEnv));
  CHECK(refused.err.find(kToken) == std::string::npos);
  CHECK(refused.out.find(kToken) == std::string::npos);
  CHECK(world.Sql("SELECT COUNT(*) FROM documents") == "3");
  CHECK(world.Sql("SELECT commit_id FROM storage_cursors") == second);
  CHECK_THAT(world.Sql("SELECT last_error FROM project_syncs"), Catch::Contains("unauthenticated"));
  CHECK(world.Sql("SELECT COUNT(*) FROM project_syncs WHERE last_error LIKE '%" + std::string(kToken) +
                  "%'") == "0");
  CHECK(world.Sql("SELECT COUNT(*) FROM events WHERE payload LIKE '%" + std::string(kToken) + "%'") == "0");
}

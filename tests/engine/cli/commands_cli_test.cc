// The administrative commands of the CLI: init, plugins, migrate, project.
#include <catch2/catch.hpp>

#include <fstream>

#include "cli_harness.h"
#include "tether/plugin.h"

using tether::testing::CliResult;
using tether::testing::GitRepo;
using tether::testing::RunCommand;
using tether::testing::ShellQuote;
using tether::testing::TempDir;
using tether::testing::TetherCli;

namespace {

// Runs tether with an explicit --config; returns stdout, sets exit code and
// stderr (kept in a file of the test's own temporary directory).
std::string Tether(const std::filesystem::path& config, const std::string& args, int* code, std::string* err) {
  static TempDir err_dir;
  std::filesystem::path err_file = err_dir.path() / "err.txt";
  std::string out = RunCommand(ShellQuote(TETHER_BIN) + " --config " + ShellQuote(config.string()) + " " + args +
                                   " 2>" + ShellQuote(err_file.string()),
                               code);
  std::ifstream in(err_file);
  err->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return out;
}

}  // namespace

TEST_CASE("init writes a valid starter config and a migrated database and refuses to overwrite") {
  TempDir dir;
  std::filesystem::path config = dir.path() / "etc" / "tether.json";
  int code = -1;
  std::string err;
  Tether(config, "init", &code, &err);
  INFO(err);
  REQUIRE(code == 0);
  CHECK(std::filesystem::exists(config));
  CHECK(std::filesystem::exists(dir.path() / "etc" / "tether.db"));  // next to the config

  std::string status = Tether(config, "--json migrate status", &code, &err);
  CHECK(code == 0);
  CHECK_THAT(status, Catch::Contains("\"state\": \"applied\""));
  CHECK_THAT(status, !Catch::Contains("pending"));

  std::string plugins = Tether(config, "plugins check", &code, &err);
  CHECK(code == 0);
  CHECK_THAT(plugins, Catch::Contains("local-git") && Catch::Contains("sql-storage"));

  std::ofstream(config, std::ios::app) << " ";
  Tether(config, "init", &code, &err);
  CHECK(code == 2);
  CHECK_THAT(err, Catch::Contains("already exists"));
  Tether(config, "init --force", &code, &err);
  CHECK(code == 0);
}

TEST_CASE("plugins check exits 1 and names the broken plugin while the others load") {
  TempDir dir;
  std::filesystem::path config = dir.path() / "tether.json";
  std::ofstream(config) << R"({"database": "sqlite:t.db", "plugins": [
      {"name": "local-git", "kind": "provider"},
      {"name": "ghost", "kind": "provider", "path": "/nonexistent/libghost.so"}]})";
  int code = -1;
  std::string err;
  std::string out = Tether(config, "plugins check", &code, &err);
  CHECK(code == 1);
  CHECK_THAT(out, Catch::Contains("/nonexistent/libghost.so") && Catch::Contains("file not found"));
  std::string json = Tether(config, "--json plugins list", &code, &err);
  CHECK(code == 0);  // list reports; only check fails
  CHECK_THAT(json, Catch::Contains("\"state\": \"loaded\"") && Catch::Contains("\"state\": \"broken\""));
}

TEST_CASE("commands refuse to run on a database with pending migrations") {
  TempDir dir;
  std::filesystem::path config = dir.path() / "tether.json";
  std::ofstream(config) << R"({"database": "sqlite:t.db"})";
  int code = -1;
  std::string err;
  Tether(config, "project list", &code, &err);
  CHECK(code == 2);
  CHECK_THAT(err, Catch::Contains("tether migrate apply"));
  Tether(config, "migrate apply", &code, &err);
  CHECK(code == 0);
  Tether(config, "project list", &code, &err);
  CHECK(code == 0);
}

TEST_CASE("projects can be listed shown disabled enabled and removed") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  repo.Write("a.txt", "a\n");
  repo.Commit("first");
  TetherCli cli(dir.path());
  REQUIRE(cli.Run("project add alpha --repo " + ShellQuote(repo.url())).exit_code == 0);
  REQUIRE(cli.Run("project add beta --repo " + ShellQuote(repo.path().string())).exit_code == 0);

  CliResult dup = cli.Run("project add alpha --repo " + ShellQuote(repo.url()));
  CHECK(dup.exit_code == 2);
  CHECK_THAT(dup.err, Catch::Contains("alpha") && Catch::Contains("already exists"));
  CliResult bad_name = cli.Run("project add 'no spaces' --repo " + ShellQuote(repo.url()));
  CHECK(bad_name.exit_code == 2);

  auto list = cli.Json("project list");
  REQUIRE(list["projects"].Size() == 2);
  CHECK(std::string(list["projects"][0]["name"].GetString()) == "alpha");

  REQUIRE(cli.Run("project disable beta").exit_code == 0);
  auto all = cli.Json("sync --all");
  REQUIRE(all["runs"].Size() == 1);  // beta is disabled
  CHECK(std::string(all["runs"][0]["project"].GetString()) == "alpha");
  CliResult disabled = cli.Run("sync beta");
  CHECK(disabled.exit_code == 2);
  CHECK_THAT(disabled.err, Catch::Contains("disabled"));
  REQUIRE(cli.Run("project enable beta").exit_code == 0);
  CHECK(cli.Run("sync beta").exit_code == 0);

  auto shown = cli.Json("project show alpha");
  CHECK(std::string(shown["status"].GetString()) == "synced");
  CHECK(shown["documents"]["count"].GetInt64() == 1);
  CHECK(shown["recent_runs"].Size() == 1);

  auto status = cli.Json("status");
  CHECK(status["projects"].Size() == 2);

  REQUIRE(cli.Run("project remove alpha").exit_code == 0);
  CHECK(cli.Count("SELECT COUNT(*) FROM projects") == 1);
  CHECK(cli.Count("SELECT COUNT(*) FROM documents") == 1);  // beta's stay
  CHECK(cli.Run("project show alpha").exit_code == 2);
  CHECK(cli.Run("project remove alpha").exit_code == 2);
}

TEST_CASE("the tenant option names the tenant of the projects a command works on") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  repo.Write("a.txt", "a\n");
  repo.Commit("first");
  TetherCli cli(dir.path());
  const std::string url = ShellQuote(repo.url());
  REQUIRE(cli.Run("--tenant alpha project add web --repo " + url).exit_code == 0);
  REQUIRE(cli.Run("--tenant beta project add web --repo " + url).exit_code == 0);
  CliResult dup = cli.Run("--tenant beta project add web --repo " + url);
  CHECK(dup.exit_code == 2);
  CHECK_THAT(dup.err, Catch::Contains("already exists"));
  CHECK(cli.Count("SELECT COUNT(*) FROM projects WHERE name = 'web'") == 2);

  // Without --tenant: the connection's tenant ("default" on SQLite), which has none.
  CliResult unknown = cli.Run("project show web");
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("no project called \"web\""));
  CHECK(cli.Run("--tenant alpha project show web").exit_code == 0);

  CHECK(cli.Run("--tenant beta sync web").exit_code == 0);
  CHECK(cli.Text("SELECT s.status FROM project_syncs s JOIN projects p ON p.id = s.project_id"
                 " WHERE p.tenant_id = 'beta'") == "synced");
  CHECK(cli.Text("SELECT s.status FROM project_syncs s JOIN projects p ON p.id = s.project_id"
                 " WHERE p.tenant_id = 'alpha'") == "never_synced");
  CHECK(cli.Json("--tenant alpha project list")["projects"].Size() == 1);
  CHECK(cli.Json("project list")["projects"].Size() == 2);
  CHECK(cli.Json("--tenant alpha sync --all")["runs"].Size() == 1);

  REQUIRE(cli.Run("--tenant alpha project remove web").exit_code == 0);
  CHECK(cli.Text("SELECT tenant_id FROM projects WHERE name = 'web'") == "beta");
  CliResult bad = cli.Run("--tenant 'no spaces' project show web");
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("--tenant"));
}

TEST_CASE("every command answers --help") {
  TempDir dir;
  TetherCli cli(dir.path());
  for (const char* command : {"", "init", "plugins", "plugins list", "plugins check", "migrate", "migrate status",
                              "migrate apply", "project", "project add", "project list", "project show",
                              "project remove", "project branches", "project select-branch", "project enable",
                              "project disable", "sync", "status"}) {
    INFO(command);
    CliResult help = cli.Run(std::string(command) + " --help");
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.out, Catch::Contains("Usage"));
  }
}

TEST_CASE("the version is printed by --version and by the version command") {
  TempDir dir;
  TetherCli cli(dir.path());
  CliResult flag = cli.Run("--version");
  CHECK(flag.exit_code == 0);
  CHECK(flag.out == std::string("tether ") + TETHER_PROJECT_VERSION + "\n");

  CliResult command = cli.Run("version");
  CHECK(command.exit_code == 0);
  CHECK_THAT(command.out, Catch::StartsWith(std::string("tether ") + TETHER_PROJECT_VERSION + " (plugin SDK ABI "));

  rapidjson::Document json = cli.Json("version");
  REQUIRE(json.IsObject());
  CHECK(std::string(json["version"].GetString()) == TETHER_PROJECT_VERSION);
  CHECK(std::string(json["sdk_abi"].GetString()) ==
        std::to_string(TETHER_SDK_ABI_MAJOR) + "." + std::to_string(TETHER_SDK_ABI_MINOR));

  // No config is needed to ask for the version.
  int code = -1;
  std::string out = RunCommand(ShellQuote(TETHER_BIN) + " --config " + ShellQuote((dir.path() / "none.json").string()) +
                                   " version 2>/dev/null",
                               &code);
  CHECK(code == 0);
  CHECK_THAT(out, Catch::StartsWith("tether "));
}

TEST_CASE("an unknown command is named, with the closest one and the list, and nothing runs") {
  TempDir dir;
  TetherCli cli(dir.path());
  CliResult typo = cli.Run("syn p");
  CHECK(typo.exit_code == 2);
  CHECK(typo.out.empty());
  CHECK_THAT(typo.err, Catch::Contains("unknown command \"syn\" for \"tether\"; did you mean \"sync\"?"));
  CHECK_THAT(typo.err, Catch::Contains("project") && Catch::Contains("verify"));

  CliResult nested = cli.Run("--json project ad p --repo /nowhere");
  CHECK(nested.exit_code == 2);
  CHECK_THAT(nested.err, Catch::Contains("unknown command \"ad\" for \"tether project\"; did you mean \"add\"?"));
  CHECK(cli.Count("SELECT COUNT(*) FROM projects") == 0);

  CliResult far = cli.Run("frobnicate");
  CHECK(far.exit_code == 2);
  CHECK_THAT(far.err, Catch::Contains("unknown command \"frobnicate\""));
  CHECK_THAT(far.err, !Catch::Contains("did you mean"));

  CliResult missing = cli.Run("migrate");
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("\"tether migrate\" needs a command: status, plan, apply, verify"));

  // An option's value is not taken for a command.
  CliResult value = cli.Run("--tenant sync status");
  CHECK(value.exit_code == 0);
}

TEST_CASE("with --json every error is a JSON object on stdout with its exit code") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  repo.Write("a.txt", "a\n");
  repo.Commit("first");
  TetherCli cli(dir.path());
  REQUIRE(cli.Run("project add p --repo " + ShellQuote(repo.url())).exit_code == 0);

  struct Case {
    std::string args;
    int exit_code;
    std::string code;
    std::string mentions;
  };
  for (const Case& c : std::vector<Case>{
           {"project select-branch p nosuch", 2, "not_found", "nosuch"},
           {"project show nobody", 2, "not_found", "nobody"},
           {"sync nobody", 2, "not_found", "nobody"},
           {"project add p --repo " + ShellQuote(repo.url()), 2, "conflict", "p"},
           {"project ad p", 2, "invalid_argument", "did you mean \"add\""},
           {"status --bogus", 2, "invalid_argument", "--bogus"},
       }) {
    INFO(c.args);
    CliResult result = cli.Run("--json " + c.args);
    CHECK(result.exit_code == c.exit_code);
    rapidjson::Document doc;
    doc.Parse(result.out.c_str());
    INFO(result.out);
    REQUIRE_FALSE(doc.HasParseError());
    REQUIRE(doc.IsObject());
    REQUIRE(doc.HasMember("error"));
    CHECK(std::string(doc["error"]["code"].GetString()) == c.code);
    CHECK_THAT(std::string(doc["error"]["message"].GetString()), Catch::Contains(c.mentions));
    CHECK(doc["exit_code"].GetInt() == c.exit_code);
  }
  // The branch did not change.
  CHECK(cli.Text("SELECT branch FROM project_syncs") != "nosuch");
}

TEST_CASE("status is a health check and its columns stay aligned with long names") {
  TempDir dir;
  GitRepo good(dir.path() / "good"), gone(dir.path() / "gone");
  for (GitRepo* repo : {&good, &gone}) {
    repo->Write("a.txt", "a\n");
    repo->Commit("first");
  }
  TetherCli cli(dir.path());
  const std::string long_name = "a-project-with-a-rather-long-name-indeed";
  REQUIRE(cli.Run("project add " + long_name + " --repo " + ShellQuote(good.url())).exit_code == 0);
  REQUIRE(cli.Run("project add short --repo " + ShellQuote(gone.url())).exit_code == 0);
  REQUIRE(cli.Run("sync --all").exit_code == 0);

  CliResult healthy = cli.Run("status");
  CHECK(healthy.exit_code == 0);
  // Every column starts at the same place on every line.
  std::vector<std::string> lines;
  for (size_t start = 0, end; (end = healthy.out.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(healthy.out.substr(start, end - start));
  }
  REQUIRE(lines.size() >= 3);
  const size_t branch_column = lines[0].find("BRANCH");
  REQUIRE(branch_column != std::string::npos);
  CHECK(branch_column > long_name.size());
  for (size_t i = 1; i < 3; ++i) {
    INFO(lines[i]);
    CHECK(lines[i].find("main") == branch_column);
  }
  CHECK_THAT(healthy.out, Catch::Contains("just now") || Catch::Contains(" s ago"));

  // A failed last sync of an enabled project makes status exit 1.
  std::filesystem::remove_all(gone.path());
  CHECK(cli.Run("sync short").exit_code == 1);
  CliResult failing = cli.Run("status");
  CHECK(failing.exit_code == 1);
  CHECK_THAT(failing.out, Catch::Contains("last errors:") && Catch::Contains("short: "));
  int code = -1;
  rapidjson::Document json = cli.Json("status", &code);
  CHECK(code == 1);
  CHECK_FALSE(json["healthy"].GetBool());

  // A project an operator disabled does not count.
  REQUIRE(cli.Run("project disable short").exit_code == 0);
  CHECK(cli.Run("status").exit_code == 0);
}

TEST_CASE("read-only commands never create the database, and a migrations folder without dialects is named") {
  TempDir dir;
  std::filesystem::path config = dir.path() / "tether.json";
  std::ofstream(config) << R"({"database": "sqlite:t.db"})";
  int code = -1;
  std::string err;
  for (const char* command : {"status", "migrate status", "migrate plan", "project list", "verify", "sync --all"}) {
    INFO(command);
    Tether(config, command, &code, &err);
    CHECK(code == 2);
    CHECK_THAT(err, Catch::Contains("t.db does not exist yet") && Catch::Contains("tether migrate apply"));
    CHECK_FALSE(std::filesystem::exists(dir.path() / "t.db"));
  }

  // Migration files put directly in the folder, not in sqlite/ or postgres/.
  std::filesystem::create_directories(dir.path() / "extra");
  std::ofstream(dir.path() / "extra" / "0001_things.sql") << "CREATE TABLE things (id INTEGER);\n";
  Tether(config, "migrate apply --dir " + ShellQuote((dir.path() / "extra").string()), &code, &err);
  CHECK(code == 2);
  CHECK_THAT(err, Catch::Contains("has no sqlite/ or postgres/ subfolder") && Catch::Contains("1 .sql file"));

  Tether(config, "migrate apply", &code, &err);
  CHECK(code == 0);
  CHECK(std::filesystem::exists(dir.path() / "t.db"));
  Tether(config, "status", &code, &err);
  CHECK(code == 0);
}

TEST_CASE("project remove asks on a terminal, says how many documents go, and --yes skips the question") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  repo.Write("a.txt", "a\n");
  repo.Write("b.txt", "b\n");
  repo.Commit("first");
  TetherCli cli(dir.path());
  for (const char* name : {"p", "q", "r"}) {
    REQUIRE(cli.Run(std::string("project add ") + name + " --repo " + ShellQuote(repo.url())).exit_code == 0);
  }
  REQUIRE(cli.Run("sync --all").exit_code == 0);

  // On a terminal (script(1) gives the command one), anything but "y" keeps it.
  auto on_terminal = [&](const std::string& answer, const std::string& args, int* code) {
    const std::string command = ShellQuote(TETHER_BIN) + " --config " + ShellQuote(cli.config().string()) + " " + args;
    return RunCommand("printf '" + answer + "\\n' | script -qec " + ShellQuote(command) + " /dev/null", code);
  };
  int code = -1;
  std::string out = on_terminal("n", "project remove p", &code);
  INFO(out);
  CHECK(code == 2);
  CHECK_THAT(out, Catch::Contains("Remove project p and 2 documents") && Catch::Contains("[y/N]") &&
                      Catch::Contains("nothing was removed"));
  CHECK(cli.Count("SELECT COUNT(*) FROM projects WHERE name = 'p'") == 1);

  out = on_terminal("y", "project remove p", &code);
  CHECK(code == 0);
  CHECK_THAT(out, Catch::Contains("removed project p and 2 documents"));
  CHECK(cli.Count("SELECT COUNT(*) FROM projects WHERE name = 'p'") == 0);

  out = on_terminal("n", "project remove q --yes", &code);
  CHECK(code == 0);
  CHECK_THAT(out, !Catch::Contains("[y/N]"));
  CHECK(cli.Count("SELECT COUNT(*) FROM projects WHERE name = 'q'") == 0);

  // Not on a terminal (a script): no question.
  rapidjson::Document removed = cli.Json("project remove r", &code);
  CHECK(code == 0);
  CHECK(std::string(removed["removed"].GetString()) == "r");
  CHECK(removed["documents"].GetInt64() == 2);
  CHECK(cli.Count("SELECT COUNT(*) FROM documents") == 0);
}

TEST_CASE("doctor checks what a sync needs and says what to fix") {
  TempDir dir;
  GitRepo good(dir.path() / "good"), moved(dir.path() / "moved"), branchy(dir.path() / "branchy");
  for (GitRepo* repo : {&good, &moved, &branchy}) {
    repo->Write("a.txt", "a\n");
    repo->Commit("first");
  }
  branchy.Git("checkout -q -b topic");
  TetherCli cli(dir.path());
  REQUIRE(cli.Run("project add good --repo " + ShellQuote(good.url())).exit_code == 0);
  int code = -1;
  rapidjson::Document healthy = cli.Json("doctor", &code);
  CHECK(code == 0);
  CHECK(healthy["problems"].GetInt() == 0);
  CliResult text = cli.Run("doctor");
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Contains("ok    project good: ") && Catch::Contains("everything a sync needs is in place"));

  REQUIRE(cli.Run("project add moved --repo " + ShellQuote(moved.url())).exit_code == 0);
  REQUIRE(cli.Run("project add branchy --repo " + ShellQuote(branchy.url()) + " --branch topic").exit_code == 0);
  std::filesystem::remove_all(moved.path());
  branchy.Git("checkout -q main");
  branchy.Git("branch -q -D topic");
  CliResult sick = cli.Run("doctor");
  INFO(sick.out);
  CHECK(sick.exit_code == 1);
  CHECK_THAT(sick.out, Catch::Contains("FAIL  project moved: ") && Catch::Contains("gone or moved"));
  CHECK_THAT(sick.out, Catch::Contains("FAIL  project branchy: ") && Catch::Contains("select-branch branchy"));
  CHECK_THAT(sick.out, Catch::Contains("ok    project good: "));
  CHECK_THAT(sick.out, Catch::Contains("2 problems to fix"));

  // A plugin that does not load, and a database that does not exist yet.
  std::ofstream(dir.path() / "other.json")
      << R"({"database": "sqlite:)" << (dir.path() / "none.db").string()
      << R"(", "plugins": [{"name": "ghost", "kind": "provider", "path": "/nonexistent/libghost.so"}]})";
  std::string err;
  std::string out = Tether(dir.path() / "other.json", "doctor", &code, &err);
  INFO(out << err);
  CHECK(code == 1);
  CHECK_THAT(out, Catch::Contains("FAIL  database: ") && Catch::Contains("tether migrate apply"));
  CHECK_THAT(out, Catch::Contains("FAIL  plugin ghost: "));
  CHECK_FALSE(std::filesystem::exists(dir.path() / "none.db"));
}

TEST_CASE("shell completion and the manual page come from the command definitions") {
  TempDir dir;
  int code = -1;
  std::string err;
  const std::filesystem::path script = dir.path() / "tether.bash";
  Tether(dir.path() / "none.json", "completion bash > " + ShellQuote(script.string()), &code, &err);
  REQUIRE(code == 0);
  // Completes as bash would, for the words typed so far.
  auto complete = [&](const std::string& words) {
    int rc = -1;
    std::string out = RunCommand("bash -c " + ShellQuote("source " + ShellQuote(script.string()) +
                                                         "; COMP_WORDS=(" + words + "); COMP_CWORD=$((${#COMP_WORDS[@]}-1));"
                                                         " _tether; echo \"${COMPREPLY[*]}\""),
                                 &rc);
    CHECK(rc == 0);
    return out.substr(0, out.find('\n'));
  };
  CHECK(complete("tether pro") == "project");
  CHECK(complete("tether project a") == "add");
  CHECK(complete("tether --config x.json project add p --re") == "--repo");
  CHECK(complete("tether migrate ''") == "status plan apply verify --help -h --dir --config --json --tenant --log-format --version");
  CHECK(complete("tether doc") == "docs doctor");
  CHECK(complete("tether doct") == "doctor");
  CHECK(complete("tether docs ''") == "export --help -h --config --json --tenant --log-format --version");

  std::string zsh = Tether(dir.path() / "none.json", "completion zsh", &code, &err);
  CHECK(code == 0);
  CHECK_THAT(zsh, Catch::StartsWith("#compdef tether") && Catch::Contains("bashcompinit"));
  Tether(dir.path() / "none.json", "completion fish", &code, &err);
  CHECK(code == 2);

  // The page the build wrote, with every command and its options.
  std::ifstream in(TETHER_MAN_PAGE);
  const std::string page((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK_THAT(page, Catch::StartsWith(".TH TETHER 1"));
  for (const char* heading : {".SS \"tether project add NAME\"", ".SS \"tether sync [PROJECTS...]\"",
                              ".SS \"tether migrate apply\"", ".SS \"tether doctor\"", ".SS \"tether verify\""}) {
    INFO(heading);
    CHECK_THAT(page, Catch::Contains(heading));
  }
  CHECK_THAT(page, Catch::Contains("\\fB\\-\\-repo\\fR") && Catch::Contains(".SH EXIT STATUS"));
  CHECK_THAT(page, !Catch::Contains("tether man"));  // the generator itself is hidden
}

// What the CLI accepts from a user when adding and configuring projects
// (repository paths, allowed_roots, branch names, configs), and that what
// comes from outside reaches a terminal escaped. The real tether binary on
// real git repositories, on SQLite and PostgreSQL.
#include <catch2/catch.hpp>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_harness.h"
#include "engine/db/project_store.h"

using tether::testing::CliResult;
using tether::testing::GitRepo;
using tether::testing::RunCommand;
using tether::testing::ShellQuote;
using tether::testing::TempDir;
using tether::testing::TetherCli;

namespace fs = std::filesystem;

namespace {

std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

// Rewrites the harness's config (same database) with `local_git_settings`
// as the local-git plugin's "settings" object ("" for none).
void WriteConfig(const TetherCli& cli, const std::string& local_git_settings) {
  std::ofstream(cli.config()) << "{\"database\": " << JsonString(cli.db_url())
                              << ", \"plugins\": [{\"name\": \"local-git\", \"kind\": \"provider\""
                              << (local_git_settings.empty() ? "" : ", \"settings\": " + local_git_settings)
                              << "}, {\"name\": \"sql-storage\", \"kind\": \"storage\"}]}\n";
}

std::string Roots(const fs::path& root) { return "{\"allowed_roots\": [" + JsonString(root.string()) + "]}"; }

// Runs `tether --config <config> <args>` with `cwd` as working directory.
CliResult RunIn(const TetherCli& cli, const fs::path& cwd, const std::string& args) {
  const fs::path err_file = cli.config().parent_path() / "stderr-in.txt";
  CliResult result;
  result.out = RunCommand("cd " + ShellQuote(cwd.string()) + " && " + ShellQuote(TETHER_BIN) + " --config " +
                              ShellQuote(cli.config().string()) + " " + args + " 2>" +
                              ShellQuote(err_file.string()) + " </dev/null",
                          &result.exit_code);
  std::ifstream in(err_file);
  std::stringstream text;
  text << in.rdbuf();
  result.err = text.str();
  return result;
}

std::string Member(const rapidjson::Value& v, const char* key) {
  return v.IsObject() && v.HasMember(key) && v[key].IsString() ? v[key].GetString() : "<absent>";
}

GitRepo MakeRepo(const fs::path& dir) {
  GitRepo repo(dir);
  repo.Write("README.md", "# " + dir.filename().string() + "\n");
  repo.Commit("first");
  repo.Git("branch release");
  return repo;
}

}  // namespace

TEST_CASE("a config nested a million levels deep is refused naming where, and nothing changes") {
  TempDir dir;
  GitRepo repo = MakeRepo(dir.path() / "repo");
  TetherCli cli(dir.path());
  REQUIRE(cli.Run("project add web --repo " + ShellQuote(repo.path().string())).exit_code == 0);

  const std::string deep = std::string(1000000, '[') + std::string(1000000, ']');
  // In a plugin's settings, and as the whole file.
  WriteConfig(cli, "{\"allowed_roots\": " + deep + "}");
  for (int round = 0; round < 2; ++round) {
    INFO("round " << round);
    for (const char* command : {"sync web", "project add other --repo /tmp", "plugins list"}) {
      INFO(command);
      CliResult refused = cli.Run(command);
      CHECK(refused.exit_code == 2);  // not a crash (which would be 128 + a signal)
      CHECK_THAT(refused.err, Catch::Contains("tether.json:1:") &&
                                  Catch::Contains("JSON nested deeper than 64 levels at offset"));
    }
    std::ofstream(cli.config()) << deep;
  }
  WriteConfig(cli, "");
  CHECK(cli.Count("SELECT COUNT(*) FROM projects") == 1);
  CHECK(cli.Count("SELECT COUNT(*) FROM sync_runs") == 0);
  CHECK(cli.Run("sync web").exit_code == 0);
}

TEST_CASE("allowed_roots: project add and sync refuse repositories outside the roots, naming them") {
  TempDir dir;
  const fs::path root = dir.path() / "root";
  GitRepo inside = MakeRepo(root / "web");
  GitRepo sibling = MakeRepo(dir.path() / "root-evil");  // a prefix sibling, not inside
  GitRepo outside = MakeRepo(dir.path() / "private");
  fs::create_directory_symlink(outside.path(), root / "escape");
  TetherCli cli(dir.path());
  // Stored while everything was allowed; refused once the roots are set.
  REQUIRE(cli.Run("project add old --repo " + ShellQuote(outside.path().string())).exit_code == 0);
  WriteConfig(cli, Roots(root));

  for (const std::string& path :
       {sibling.path().string(), (root / "escape").string(), (root / ".." / "private").string(),
        (root / "web" / ".." / ".." / "root-evil").string(), sibling.url()}) {
    INFO(path);
    CliResult refused = cli.Run("project add x --repo " + ShellQuote(path));
    INFO(refused.err);
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains("is outside the directories local-git may open (allowed_roots: " +
                                            root.string()));
  }
  // A relative path is resolved before it is checked: ../private from inside the root.
  CliResult relative = RunIn(cli, root, "project add x --repo ../private");
  CHECK(relative.exit_code == 1);
  CHECK_THAT(relative.err, Catch::Contains("allowed_roots: " + root.string()));
  CHECK(cli.Count("SELECT COUNT(*) FROM projects") == 1);

  CliResult synced_old = cli.Run("sync old");
  CHECK(synced_old.exit_code == 1);
  CHECK_THAT(synced_old.err, Catch::Contains("allowed_roots: " + root.string()));
  CHECK(cli.Count("SELECT COUNT(*) FROM documents") == 0);
  CHECK(cli.Run("project branches old").exit_code == 1);

  CliResult added = cli.Run("project add web --repo " + ShellQuote(inside.path().string()));
  INFO(added.err);
  REQUIRE(added.exit_code == 0);
  CHECK(cli.Run("sync web").exit_code == 0);
  CHECK(cli.Count("SELECT COUNT(*) FROM documents") == 1);

  // A bad setting makes the plugin broken, and says why.
  WriteConfig(cli, R"({"allowed_roots": ["relative/dir"]})");
  CliResult broken = cli.Run("plugins check");
  CHECK(broken.exit_code == 1);
  CHECK_THAT(broken.out, Catch::Contains("allowed_roots[0] \"relative/dir\" must be an absolute path"));
}

TEST_CASE("a relative --repo is stored as an absolute path and syncs from any directory") {
  TempDir dir;
  GitRepo repo = MakeRepo(dir.path() / "work" / "repo");
  fs::create_directories(dir.path() / "elsewhere");
  TetherCli cli(dir.path());

  CliResult added = RunIn(cli, dir.path() / "work", "project add web --repo ./sub/../repo/");
  INFO(added.err);
  REQUIRE(added.exit_code == 0);
  CHECK_THAT(added.out, Catch::Contains((dir.path() / "work" / "repo").string()));
  CliResult synced = RunIn(cli, dir.path() / "elsewhere", "sync web");
  INFO(synced.err);
  CHECK(synced.exit_code == 0);
  CHECK(cli.Count("SELECT COUNT(*) FROM documents") == 1);
  rapidjson::Document shown = cli.Json("project show web");
  CHECK(Member(shown, "repo") == (dir.path() / "work" / "repo").string());
  CliResult human = RunIn(cli, dir.path() / "elsewhere", "project show web");
  CHECK_THAT(human.out, Catch::Contains("repository:  " + (dir.path() / "work" / "repo").string() + " (local-git)"));

  // file:// URLs and absolute paths are kept as typed.
  REQUIRE(RunIn(cli, dir.path() / "elsewhere", "project add byurl --repo " + ShellQuote(repo.url())).exit_code == 0);
  CHECK(Member(cli.Json("project show byurl"), "repo") == repo.url());
}

TEST_CASE("select-branch and add --branch refuse names git would refuse, exit 2, and change nothing") {
  TempDir dir;
  GitRepo repo = MakeRepo(dir.path() / "repo");
  TetherCli cli(dir.path());
  REQUIRE(cli.Run("project add web --repo " + ShellQuote(repo.path().string())).exit_code == 0);

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"..\\evil", "\"..\\x5cevil\" is not valid: it contains \"\\\""},
      {"a..b", "contains \"..\""},
      {"-x", "starts with \"-\""},           {"HEAD", "\"HEAD\" is not a branch name"},
      {"a b", "contains a space"},           {"x~1", "contains \"~\""},
      {"x^2", "contains \"^\""},             {"a:b", "contains \":\""},
      {"a?", "contains \"?\""},              {"a*", "contains \"*\""},
      {"a[1", "contains \"[\""},             {"/a", "empty component"},
      {"a/", "empty component"},             {"a//b", "empty component"},
      {"a.", "ends with \".\""},             {".hidden", "starts with \".\""},
      {"a/.b", "starts with \".\""},         {"x.lock", "ends with \".lock\""},
      {"a@{1}", "contains \"@{\""},          {"@", "\"@\" alone"},
      {"tab\there", "control character"},   {"del\x7f", "control character"},
      {"nl\nx", "control character"},       {std::string("bad\xff", 4), "not valid UTF-8"},
  };
  for (const auto& [branch, why] : bad) {
    INFO(branch);
    CliResult refused = cli.Run("project select-branch web -- " + ShellQuote(branch));  // -- for "-x"
    INFO(refused.err);
    CHECK(refused.exit_code == 2);
    CHECK_THAT(refused.err, Catch::Contains("is not valid: ") && Catch::Contains(why) &&
                                Catch::Contains("branch left at \"main\""));
    CHECK(Member(cli.Json("project show web"), "branch") == "main");
    CliResult add = cli.Run("project add other --repo " + ShellQuote(repo.path().string()) + " --branch=" +
                            ShellQuote(branch));
    CHECK(add.exit_code == 2);
    CHECK_THAT(add.err, Catch::Contains("is not valid: ") && Catch::Contains(why));
  }
  CHECK(cli.Count("SELECT COUNT(*) FROM projects") == 1);
  // Valid names with slashes, dots and non-ASCII letters still work.
  repo.Git("branch feature/2.0_rc-1");
  repo.Git("branch " + ShellQuote("café"));
  CHECK(cli.Run("project select-branch web feature/2.0_rc-1").exit_code == 0);
  CHECK(cli.Run("project select-branch web " + ShellQuote("café")).exit_code == 0);
  CHECK(Member(cli.Json("project show web"), "branch") == "café");
}

TEST_CASE("control characters from names, repositories and errors reach the terminal escaped") {
  TempDir dir;
  GitRepo repo = MakeRepo(dir.path() / "repo");
  TetherCli cli(dir.path());
  REQUIRE(cli.Run("project add web --repo " + ShellQuote(repo.path().string())).exit_code == 0);

  // An ESC in a refused name: the message shows it as \x1b.
  CliResult refused = cli.Run("project select-branch web " + ShellQuote("evil\x1b]0;pwned\x07"));
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err, Catch::Contains("branch name \"evil\\x1b]0;pwned\\x07\" is not valid"));
  CHECK(refused.err.find('\x1b') == std::string::npos);
  CHECK(refused.err.find('\x07') == std::string::npos);

  // A project stored with such a branch (by an older version, or by hand)
  // fails at resolve; every human output shows the name escaped.
  {
    tether::db::ProjectStore projects(&cli.db());
    tether::db::NewProject p;
    p.name = "old";
    p.provider = "local-git";
    p.storage = "sql-storage";
    p.repo_url = repo.path().string() + "/\x1b[2J";
    p.branch = "x\x1b[31mred";
    REQUIRE(projects.Add(p).ok());
  }
  for (const char* command : {"sync old", "project show old", "project list", "status", "project branches old"}) {
    INFO(command);
    CliResult shown = cli.Run(command);
    INFO(shown.out << shown.err);
    CHECK(shown.out.find('\x1b') == std::string::npos);
    CHECK(shown.err.find('\x1b') == std::string::npos);
    CHECK_THAT(shown.out + shown.err, Catch::Contains("\\x1b["));
  }
  CliResult show = cli.Run("project show old");
  CHECK_THAT(show.out, Catch::Contains("branch:      x\\x1b[31mred"));
  // Machine output keeps the bytes, JSON-escaped.
  CliResult json = cli.Run("--json project show old");
  CHECK_THAT(json.out, Catch::Contains("x\\u001B[31mred") || Catch::Contains("x\\u001b[31mred"));
}

TEST_CASE("a project's schedule is chosen at add or later, shown, and a bad one changes nothing") {
  tether::testing::TempDir dir;
  GitRepo repo(dir.path() / "repo");
  repo.Write("x.txt", "x\n");
  repo.Commit("first");
  tether::testing::TetherCli cli(dir.path(), R"("schedule": "adaptive")");
  const std::string url = ShellQuote(repo.url());
  REQUIRE(cli.Run("project add timed --repo " + url + " --every 5m").exit_code == 0);
  REQUIRE(cli.Run("project add plain --repo " + url).exit_code == 0);
  rapidjson::Document timed = cli.Json("project show timed");
  CHECK(std::string(timed["schedule"].GetString()) == "300s");
  CHECK(timed["next_sync_at"].IsNull());  // due at once under tether serve
  CHECK(cli.Json("project show plain")["schedule"].IsNull());  // the config's default
  CHECK_THAT(cli.Run("project show timed").out, Catch::Contains("schedule:    every 5 min; due now"));
  CHECK_THAT(cli.Run("project show plain").out, Catch::Contains("schedule:    adaptive (the config's default)"));

  rapidjson::Document off = cli.Json("project schedule plain --off");
  CHECK(std::string(off["schedule"].GetString()) == "off");
  CHECK(std::string(off["follows"].GetString()) == "off");
  CHECK_THAT(cli.Run("project schedule timed --default").out,
             Catch::Contains("project timed syncs by itself: adaptive (the config's default)"));
  CHECK(cli.Json("project show timed")["schedule"].IsNull());

  // Bad input: refused by name, exit 2, nothing changed.
  CliResult bad = cli.Run("project schedule plain --every soon");
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("schedule \"soon\""));
  CHECK(std::string(cli.Json("project show plain")["schedule"].GetString()) == "off");
  CHECK(cli.Run("project schedule plain --off --adaptive").exit_code == 2);
  CHECK(cli.Run("project schedule plain").exit_code == 2);
  CliResult two = cli.Run("project add both --repo " + url + " --every 1h --no-schedule");
  CHECK(two.exit_code == 2);
  CliResult zero = cli.Run("project add zero --repo " + url + " --every 0s");
  CHECK(zero.exit_code == 2);
  CHECK_THAT(zero.err, Catch::Contains("schedule \"0s\""));
  CHECK(cli.Count("SELECT COUNT(*) FROM projects") == 2);

  // A run, whoever starts it, sets when the next scheduled one is due.
  REQUIRE(cli.Run("project schedule timed --every 1h").exit_code == 0);
  REQUIRE(cli.Run("sync timed").exit_code == 0);
  const long long due = cli.Count("SELECT next_sync_at FROM project_syncs s JOIN projects p ON p.id = s.project_id"
                                  " WHERE p.name = 'timed'");
  const long long now = static_cast<long long>(std::time(nullptr));
  CHECK(due >= now + 3600 - 360 - 5);
  CHECK(due <= now + 3600 + 360 + 5);
  CHECK(cli.Count("SELECT COUNT(*) FROM project_syncs s JOIN projects p ON p.id = s.project_id"
                  " WHERE p.name = 'timed' AND head_changed_at IS NOT NULL") == 1);
}

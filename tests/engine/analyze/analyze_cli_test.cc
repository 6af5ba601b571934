// The analyze phase end to end: the tether binary syncs real git
// repositories and runs a fixture analyzer that counts its calls
// (fixtures/fixture_analyzer.cc), on SQLite and PostgreSQL. Results are
// keyed by content: what a rename, a branch switched back or a second
// project on the same repository costs is read off the analyzer's calls.
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "engine/cli/cli_harness.h"
#include "support/status_checks.h"
#include "support/test_database.h"

using tether::testing::CliResult;
using tether::testing::GitRepo;
using tether::testing::ShellQuote;
using tether::testing::TempDir;
using tether::testing::TetherCli;
using tether::testing::TetherProcess;
namespace fs = std::filesystem;

namespace {

// A config with the fixture analyzer, and the file its calls go to.
struct World {
  TempDir dir;
  fs::path calls_file = dir.path() / "calls.txt";
  GitRepo repo{dir.path() / "repo"};
  TetherCli cli;

  // Pages of 64: the tests that stop an analysis count on several pages.
  explicit World(const std::string& version = "1")
      : cli(dir.path(), "\"analysis_page_size\": 64",
            ",{\"name\": \"fixture-analyzer\", \"kind\": \"analyzer\", \"path\": \"" FIXTURE_ANALYZER
            "\", \"settings\": {\"calls_file\": \"" +
                calls_file.string() + "\", \"version\": \"" + version + "\"}}") {}

  void AddProject(const std::string& name) {
    CliResult added = cli.Run("project add " + name + " --repo " + ShellQuote(repo.url()));
    INFO(added.err);
    REQUIRE(added.exit_code == 0);
  }

  // `tether --json sync NAME`: the run's analysis of the fixture analyzer.
  const rapidjson::Value& Sync(rapidjson::Document& doc, const std::string& name, int expected_exit = 0) {
    int code = -1;
    doc = cli.Json("sync " + name, &code);
    REQUIRE(code == expected_exit);
    REQUIRE(doc["runs"].Size() >= 1);
    const rapidjson::Value& run = doc["runs"][doc["runs"].Size() - 1];
    REQUIRE(run.HasMember("analysis"));
    REQUIRE(run["analysis"].HasMember("fixture"));
    return run["analysis"]["fixture"];
  }

  // How often the analyzer was called, per path.
  std::map<std::string, int> Calls() const {
    std::map<std::string, int> calls;
    std::ifstream in(calls_file);
    std::string blob, path;
    while (in >> blob >> path) ++calls[path];
    return calls;
  }
  int TotalCalls() const {
    int n = 0;
    for (const auto& [path, count] : Calls()) n += count;
    return n;
  }
};

int64_t Field(const rapidjson::Value& tally, const char* name) { return tally[name].GetInt64(); }

// The bundled analyzers, as `tether init` configures them.
constexpr char kCodeAndDocs[] =
    ",{\"name\": \"code\", \"kind\": \"analyzer\"}, {\"name\": \"docs\", \"kind\": \"analyzer\"}";

}  // namespace

TEST_CASE("a first sync analyses every file once, and a rename and a second project cost no analyzer call") {
  World w;
  w.repo.Write("a.py", "def alpha\n");
  w.repo.Write("b.py", "def beta\n");
  w.repo.Write("src/c.py", "def gamma\nx\n");
  w.repo.Commit("three files");
  w.AddProject("p");
  rapidjson::Document doc;
  const rapidjson::Value& first = w.Sync(doc, "p");
  CHECK(Field(first, "analyzed") == 3);
  CHECK(Field(first, "reused") == 0);
  CHECK(Field(first, "failed") == 0);
  CHECK(w.TotalCalls() == 3);
  rapidjson::Document shown = w.cli.Json("project show p");
  CHECK(shown["analysis"]["fixture"]["analyzed"].GetInt64() == 3);
  CHECK(shown["analysis"]["fixture"]["pending"].GetInt64() == 0);

  SECTION("a rename-only commit") {
    w.repo.Move("b.py", "renamed.py");
    w.repo.Commit("rename");
    rapidjson::Document d2;
    const rapidjson::Value& renamed = w.Sync(d2, "p");
    CHECK(Field(renamed, "analyzed") == 0);
    CHECK(Field(renamed, "reused") == 1);
    CHECK(w.TotalCalls() == 3);
  }
  SECTION("a one-file change analyses that file only") {
    w.repo.Write("a.py", "def alpha\ndef alpha2\n");
    w.repo.Commit("change a");
    rapidjson::Document d2;
    const rapidjson::Value& changed = w.Sync(d2, "p");
    CHECK(Field(changed, "analyzed") == 1);
    CHECK(w.Calls()["a.py"] == 2);
    CHECK(w.TotalCalls() == 4);
  }
  SECTION("a second project on the same repository") {
    w.AddProject("q");
    rapidjson::Document d2;
    const rapidjson::Value& second = w.Sync(d2, "q");
    CHECK(Field(second, "analyzed") == 0);
    CHECK(Field(second, "reused") == 3);
    CHECK(w.TotalCalls() == 3);
  }
  SECTION("a noop sync after a complete analysis does not even look") {
    CHECK(first["complete"].GetBool());
    rapidjson::Document d2;
    const rapidjson::Value& noop = w.Sync(d2, "p");
    CHECK(Field(noop, "analyzed") == 0);
    CHECK(noop["complete"].GetBool());
    CHECK(d2["runs"][0]["timings_ms"]["analyze"].IsNull());  // the phase did not run
    CHECK(w.TotalCalls() == 3);
  }
  SECTION("a noop sync after one that did not analyse does the analysis") {
    w.repo.Write("d.py", "def delta\n");
    w.repo.Commit("one more");
    int code = -1;
    rapidjson::Document copied = w.cli.Json("sync p --no-analyze", &code);
    REQUIRE(code == 0);
    CHECK(copied["runs"][0]["analysis"].ObjectEmpty());
    rapidjson::Document d2;
    const rapidjson::Value& noop = w.Sync(d2, "p");
    CHECK(std::string(d2["runs"][0]["mode"].GetString()) == "noop");
    CHECK(Field(noop, "analyzed") == 1);
    CHECK(noop["complete"].GetBool());
    CHECK(w.TotalCalls() == 4);
  }
}

TEST_CASE("a branch switched away and back costs one call for the file that differs, and none on the way back") {
  World w;
  w.repo.Write("same.py", "def same\n");
  w.repo.Write("differs.py", "def on_main\n");
  w.repo.Commit("main");
  w.repo.Git("checkout -q -b other");
  w.repo.Write("differs.py", "def on_other\n");
  w.repo.Commit("other");
  w.repo.Git("checkout -q main");
  w.AddProject("p");
  rapidjson::Document doc;
  CHECK(Field(w.Sync(doc, "p"), "analyzed") == 2);

  REQUIRE(w.cli.Run("project select-branch p other").exit_code == 0);
  rapidjson::Document d2;
  CHECK(Field(w.Sync(d2, "p"), "analyzed") == 1);
  REQUIRE(w.cli.Run("project select-branch p main").exit_code == 0);
  rapidjson::Document d3;
  const rapidjson::Value& back = w.Sync(d3, "p");
  CHECK(Field(back, "analyzed") == 0);
  CHECK(Field(back, "reused") == 1);
  CHECK(w.TotalCalls() == 3);
}

TEST_CASE("symbol search finds the current documents' symbols by name, prefix and sub-token, never a removed file's") {
  World w;
  w.repo.Write("lib/parse.py", "def jv_parse_sized\nx\ndef parseJson\n");
  w.repo.Write("lib/other.py", "def unrelated\ndef parse\n");
  w.repo.Write("gone.py", "def parse_gone\n");
  w.repo.Commit("symbols");
  w.AddProject("p");
  rapidjson::Document doc;
  REQUIRE(Field(w.Sync(doc, "p"), "analyzed") == 3);
  w.repo.Remove("gone.py");
  w.repo.Commit("remove one");
  rapidjson::Document d2;
  w.Sync(d2, "p");

  int code = -1;
  rapidjson::Document found = w.cli.Json("symbols p parse --analyzer fixture-analyzer", &code);
  REQUIRE(code == 0);
  std::vector<std::string> names;
  for (const auto& hit : found["symbols"].GetArray()) names.push_back(hit["name"].GetString());
  // The whole name first, then prefixes, then sub-tokens.
  REQUIRE(names == std::vector<std::string>{"parse", "parseJson", "jv_parse_sized"});
  const rapidjson::Value& sized = found["symbols"][2];
  CHECK(std::string(sized["path"].GetString()) == "lib/parse.py");
  CHECK(sized["start_line"].GetInt() == 1);
  CHECK(std::string(sized["kind"].GetString()) == "function");
  CHECK(std::string(sized["match"].GetString()) == "token");
  CHECK(std::string(found["symbols"][1]["match"].GetString()) == "prefix");

  // Case-insensitive, narrowed by path and kind; '_' is not a wildcard.
  rapidjson::Document json = w.cli.Json("symbols p JSON --analyzer fixture-analyzer --path lib/parse");
  REQUIRE(json["symbols"].Size() == 1);
  CHECK(std::string(json["symbols"][0]["name"].GetString()) == "parseJson");
  CHECK(w.cli.Json("symbols p parse --analyzer fixture-analyzer --kind class")["symbols"].Size() == 0);
  CHECK(w.cli.Json("symbols p p_rse --analyzer fixture-analyzer")["symbols"].Size() == 0);

  CliResult human = w.cli.Run("symbols p sized --analyzer fixture-analyzer");
  CHECK(human.exit_code == 0);
  CHECK(human.out.find("lib/parse.py:1-1") != std::string::npos);
  CliResult none = w.cli.Run("symbols p nothing_like_it --analyzer fixture-analyzer");
  CHECK(none.exit_code == 1);
  CHECK(w.cli.Run("symbols p parse").exit_code == 2);  // no analyzer "code" configured
}

TEST_CASE("an analyzer's failure fails that blob only: the sync succeeds, and the blob is retried at most three times") {
  World w;
  w.repo.Write("ok.py", "def fine\n");
  w.repo.Write("flaky.py", "FAIL-ANALYZER\n");
  w.repo.Write("bad.py", "INVALID-ANALYZER\n");
  w.repo.Commit("failures");
  w.AddProject("p");
  rapidjson::Document doc;
  const rapidjson::Value& first = w.Sync(doc, "p");
  CHECK(Field(first, "analyzed") == 1);
  CHECK(Field(first, "failed") == 2);
  CHECK(std::string(doc["runs"][0]["outcome"].GetString()) == "succeeded");
  for (int i = 0; i < 4; ++i) {
    rapidjson::Document again;
    w.Sync(again, "p");
  }
  std::map<std::string, int> calls = w.Calls();
  CHECK(calls["ok.py"] == 1);
  CHECK(calls["flaky.py"] == 3);  // Unavailable: retried, three attempts in all
  CHECK(calls["bad.py"] == 1);    // InvalidArgument: not retried
  CHECK(w.cli.Count("SELECT COUNT(*) FROM analysis_results WHERE state = 'failed'") == 2);
}

TEST_CASE("binary, generated and minified files are skipped by rule, naming the rule, without an analyzer call") {
  World w;
  w.repo.Write("code.py", "def kept\n");
  w.repo.Write("image.bin", std::string("\x89PNG\0\0\0data", 12));
  w.repo.Write("gen.py", "# @generated by a tool\ndef generated\n");
  w.repo.Write("package-lock.json", "{}\n");
  w.repo.Write("app.min.js", std::string(8000, 'x') + "\n");
  w.repo.Commit("mixed");
  w.AddProject("p");
  rapidjson::Document doc;
  const rapidjson::Value& tally = w.Sync(doc, "p");
  CHECK(Field(tally, "analyzed") == 1);
  CHECK(Field(tally, "skipped") == 4);
  CHECK(w.TotalCalls() == 1);
  CHECK(w.cli.Text("SELECT reason FROM analysis_results WHERE state = 'skipped' AND reason LIKE '%@generated%'")
            .find("generated") != std::string::npos);
  CHECK(w.cli.Count("SELECT COUNT(*) FROM analysis_results WHERE state = 'skipped' AND reason = 'binary'") == 1);
  CHECK(w.cli.Count("SELECT COUNT(*) FROM analysis_results WHERE state = 'skipped' AND reason LIKE 'minified%'") == 1);
}

TEST_CASE("a blob that crashes the process twice is poison: skipped with its reason, and the rest completes") {
  World w;
  w.repo.Write("crash.py", "CRASH-ANALYZER\n");
  for (int i = 0; i < 5; ++i) w.repo.Write("f" + std::to_string(i) + ".py", "def f" + std::to_string(i) + "\n");
  w.repo.Commit("a crasher");
  w.AddProject("p");
  // The write commits, then the analyzer crashes the process.
  CliResult first = w.cli.Run("sync p");
  CHECK(first.exit_code == 128 + SIGABRT);
  CHECK(w.cli.Count("SELECT COUNT(*) FROM documents") == 6);
  // Each later run: blobs left marked are analysed alone; the crasher
  // again crashes, then is poison.
  CliResult second = w.cli.Run("sync p");
  CHECK(second.exit_code == 128 + SIGABRT);
  rapidjson::Document doc;
  const rapidjson::Value& third = w.Sync(doc, "p");
  CHECK(Field(third, "skipped") == 1);
  CHECK(w.Calls()["crash.py"] == 2);
  CHECK(w.cli.Count("SELECT COUNT(*) FROM analysis_results WHERE state = 'poison'") == 1);
  CHECK(w.cli.Text("SELECT reason FROM analysis_results WHERE state = 'poison'").find("died 2 times") !=
        std::string::npos);
  CHECK(w.cli.Count("SELECT COUNT(*) FROM analysis_results WHERE state = 'analyzed'") == 5);
  rapidjson::Document d4;
  w.Sync(d4, "p");
  CHECK(w.Calls()["crash.py"] == 2);
  // The first run, which died in its analysis, is recovered as the success
  // its write was.
  CHECK(w.cli.Count("SELECT COUNT(*) FROM sync_runs WHERE outcome = 'running'") == 0);
}

TEST_CASE("sync --no-analyze copies only, tether analyze does the rest, and a stopped analysis resumes where it stopped") {
  World w;
  // Three pages of work (64 blobs a page), 50 ms a blob.
  constexpr int kFiles = 160;
  for (int i = 0; i < kFiles; ++i) w.repo.Write("slow" + std::to_string(i) + ".py", "SLOW-ANALYZER " + std::to_string(i) + "\n");
  w.repo.Commit("slow files");
  w.AddProject("p");
  int code = -1;
  rapidjson::Document synced = w.cli.Json("sync p --no-analyze", &code);
  REQUIRE(code == 0);
  CHECK(synced["runs"][0]["analysis"].ObjectEmpty());
  CHECK(w.TotalCalls() == 0);

  // SIGTERM while analysing: the page under way finishes and is stored,
  // no page starts after it.
  TetherProcess analyzing(w.cli, "analyze p");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (w.cli.Count("SELECT COUNT(*) FROM analysis_results WHERE state = 'analyzed'") == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  analyzing.Signal(SIGTERM);
  CHECK(analyzing.Wait() == 143);
  const long long stored = w.cli.Count("SELECT COUNT(*) FROM analysis_results WHERE state = 'analyzed'");
  CHECK(stored > 0);
  CHECK(stored < kFiles);
  CHECK(w.TotalCalls() == stored);

  rapidjson::Document rest = w.cli.Json("analyze p", &code);
  REQUIRE(code == 0);
  CHECK(rest["projects"][0]["analysis"]["fixture"]["analyzed"].GetInt64() == kFiles - stored);
  // Each blob reached the analyzer once in all.
  CHECK(w.TotalCalls() == kFiles);
  for (const auto& [path, count] : w.Calls()) CHECK(count == 1);
}

namespace {

// A project "notes" of `files` notes, synced with --no-analyze by a config
// without analyzers: its text waits for the index.
struct UnindexedNotes {
  explicit UnindexedNotes(int files) {
    for (int i = 0; i < files; ++i) repo.Write("notes/" + std::to_string(i) + ".md", "note " + std::to_string(i) + "\n");
    repo.Commit("notes");
    REQUIRE(cli.Run("project add notes --repo " + ShellQuote(repo.url())).exit_code == 0);
    REQUIRE(cli.Run("sync notes --no-analyze").exit_code == 0);
  }
  // How many documents wait for the text index.
  long long Waiting() {
    return cli.Count(cli.postgres() ? "SELECT COUNT(*) FROM documents WHERE NOT text_indexed AND content IS NOT NULL"
                                    : "SELECT COUNT(*) FROM documents_text_pending");
  }

  TempDir dir;
  GitRepo repo{dir.path() / "repo"};
  TetherCli cli{dir.path()};  // local-git and sql-storage, no analyzer
};

}  // namespace

TEST_CASE("with no analyzer configured, tether analyze catches the text index up after sync --no-analyze") {
  UnindexedNotes notes(7);
  TetherCli& cli = notes.cli;
  // The index takes a write's content after it, on both databases.
  CHECK(notes.Waiting() == 7);

  int code = -1;
  rapidjson::Document analysed = cli.Json("analyze notes", &code);
  REQUIRE(code == 0);
  CHECK(analysed["projects"][0]["text_indexed"].GetInt64() == 7);
  CHECK(notes.Waiting() == 0);
  CHECK(cli.Count(cli.postgres() ? "SELECT COUNT(*) FROM documents WHERE text_indexed AND content ILIKE '%note 3%'"
                                 : tether::testing::CountIndexedSql("note 3")) == 1);
  CliResult again = cli.Run("analyze notes");
  INFO(again.err);
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("text index") == std::string::npos);  // nothing left to index
}

TEST_CASE("with no analyzer configured, the next noop sync catches the text index up after sync --no-analyze, once") {
  UnindexedNotes notes(5);
  TetherCli& cli = notes.cli;
  REQUIRE(notes.Waiting() == 5);
  // Whether a sync's run went through its analyze phase, and its mode.
  auto sync = [&](const std::string& flags) {
    int code = -1;
    rapidjson::Document done = cli.Json("sync notes " + flags, &code);
    REQUIRE(code == 0);
    const rapidjson::Value& run = done["runs"][0];
    return std::make_pair(std::string(run["mode"].GetString()), !run["timings_ms"]["analyze"].IsNull());
  };
  // A noop with --no-analyze changes nothing of it.
  CHECK(sync("--no-analyze") == std::make_pair(std::string("noop"), false));
  CHECK(notes.Waiting() == 5);
  // The next noop runs the phase: the index catches up.
  CHECK(sync("") == std::make_pair(std::string("noop"), true));
  CHECK(notes.Waiting() == 0);
  // Noops after it have nothing to catch up on, and skip the phase.
  CHECK(sync("") == std::make_pair(std::string("noop"), false));
  CHECK(sync("") == std::make_pair(std::string("noop"), false));
  // A write that leaves it behind again, then a noop: caught up once more.
  notes.repo.Write("notes/new.md", "a new note\n");
  notes.repo.Commit("new");
  CHECK(sync("--no-analyze") == std::make_pair(std::string("incremental"), false));
  CHECK(notes.Waiting() == 1);
  CHECK(sync("") == std::make_pair(std::string("noop"), true));
  CHECK(notes.Waiting() == 0);
}

TEST_CASE("tether gc removes results no document needs after the grace period, and keeps the others") {
  World w;
  w.repo.Write("keep.py", "def keep\n");
  w.repo.Write("drop.py", "def drop\n");
  w.repo.Commit("two");
  w.AddProject("p");
  rapidjson::Document doc;
  w.Sync(doc, "p");
  w.repo.Remove("drop.py");
  w.repo.Commit("drop one");
  rapidjson::Document d2;
  w.Sync(d2, "p");
  REQUIRE(w.cli.Count("SELECT COUNT(*) FROM analysis_results") == 2);

  // Within the grace period nothing goes, and a sync never removes one.
  CHECK(w.cli.Json("gc")["removed"].GetInt64() == 0);
  CHECK(w.cli.Count("SELECT COUNT(*) FROM analysis_results") == 2);
  CHECK(w.cli.Json("gc --grace 0")["removed"].GetInt64() == 1);
  CHECK(w.cli.Count("SELECT COUNT(*) FROM analysis_results") == 1);
  CHECK(w.cli.Count("SELECT COUNT(*) FROM analysis_symbols") == 1);
  CHECK(w.cli.Text("SELECT name FROM analysis_symbols") == "keep");
  CHECK(w.cli.Run("gc --grace soon").exit_code == 2);
}

TEST_CASE("a new analyzer version analyses everything again, and the old results stay until gc") {
  World w("1");
  w.repo.Write("a.py", "def a\n");
  w.repo.Commit("one");
  w.AddProject("p");
  rapidjson::Document doc;
  CHECK(Field(w.Sync(doc, "p"), "analyzed") == 1);
  // The same database, the analyzer at version 2.
  std::string config;
  {
    std::ifstream in(w.cli.config());
    std::stringstream buffer;
    buffer << in.rdbuf();
    config = buffer.str();
  }
  size_t at = config.find("\"version\": \"1\"");
  REQUIRE(at != std::string::npos);
  config.replace(at, 14, "\"version\": \"2\"");
  std::ofstream(w.cli.config(), std::ios::trunc) << config;
  rapidjson::Document d2;
  CHECK(Field(w.Sync(d2, "p"), "analyzed") == 1);
  CHECK(w.cli.Count("SELECT COUNT(*) FROM analysis_results") == 2);
  CHECK(w.cli.Json("gc --grace 0")["removed"].GetInt64() == 1);
  CHECK(w.cli.Text("SELECT analyzer_version FROM analysis_results") == "2");
  // An analyzer taken out of the config loses nothing: its results wait
  // for it, with their blobs.
  at = config.find(",{\"name\": \"fixture-analyzer\"");
  REQUIRE(at != std::string::npos);
  config.erase(at, config.find('}', config.find('}', at) + 1) + 1 - at);
  std::ofstream(w.cli.config(), std::ios::trunc) << config;
  CHECK(w.cli.Json("gc --grace 0")["removed"].GetInt64() == 0);
  CHECK(w.cli.Count("SELECT COUNT(*) FROM analysis_results") == 1);
}

// The bundled analyzer, end to end: a repository with a file in each of its
// languages, synced by the binary; every known function is found by search
// where it is, with its kind and lines.
TEST_CASE("symbols of real code in ten languages are found through sync and search, with kind and lines") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  TetherCli cli(dir.path(), "", ",{\"name\": \"code\", \"kind\": \"analyzer\"}");
  struct Known {
    const char* path;
    const char* source;
    const char* name;
    const char* kind;
    int start, end;
  };
  const Known known[] = {
      {"c/list.c", "#include <stdlib.h>\n\nint list_length(const int *xs) {\n  return 0;\n}\n", "list_length",
       "function", 3, 5},
      {"cpp/queue.cc", "namespace q {\nclass Queue {\n public:\n  void Push(int x);\n};\n}\n", "Queue", "class", 2, 5},
      {"py/tokens.py", "import os\n\n\ndef split_tokens(text):\n    return text.split()\n", "split_tokens",
       "function", 4, 5},
      {"js/app.js", "export function renderPage(props) {\n  return props;\n}\n", "renderPage", "function", 1, 3},
      {"ts/shape.ts", "interface ShapeArea {\n  area(): number;\n}\n", "ShapeArea", "interface", 1, 3},
      {"go/store.go", "package store\n\nfunc OpenStore(path string) error {\n\treturn nil\n}\n", "OpenStore",
       "function", 3, 5},
      {"rs/lib.rs", "pub fn parse_config(s: &str) -> usize {\n    s.len()\n}\n", "parse_config", "function", 1, 3},
      {"java/Main.java", "class MainEntry {\n  static int countItems() {\n    return 0;\n  }\n}\n", "countItems",
       "method", 2, 4},
      {"sh/build.sh", "#!/bin/sh\nbuild_all() {\n  make\n}\n", "build_all", "function", 2, 4},
      {"docs/guide.md", "# Guide\n\n## Install Steps\n\nRun it.\n", "Install Steps", "heading", 3, 5},
  };
  for (const Known& k : known) repo.Write(k.path, k.source);
  repo.Commit("one file per language");
  REQUIRE(cli.Run("project add p --repo " + ShellQuote(repo.url())).exit_code == 0);
  int code = -1;
  rapidjson::Document synced = cli.Json("sync p", &code);
  REQUIRE(code == 0);
  CHECK(synced["runs"][0]["analysis"]["code"]["analyzed"].GetInt64() == 10);
  for (const Known& k : known) {
    INFO(k.path << ": " << k.name);
    rapidjson::Document found = cli.Json("symbols p " + ShellQuote(k.name) + " --kind " + k.kind, &code);
    REQUIRE(code == 0);
    bool seen = false;
    for (const auto& hit : found["symbols"].GetArray()) {
      if (std::string(hit["name"].GetString()) != k.name) continue;
      seen = true;
      CHECK(std::string(hit["path"].GetString()) == k.path);
      CHECK(hit["start_line"].GetInt() == k.start);
      CHECK(hit["end_line"].GetInt() == k.end);
    }
    CHECK(seen);
  }
}

// The documentation site, written from the stored analysis: after a
// one-file change an export rewrites that file's page and the indexes that
// show what changed, and nothing else (modification times show it).
TEST_CASE("docs export writes the site once, then rewrites exactly the pages a change touched") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  TetherCli cli(dir.path(), "", kCodeAndDocs);
  repo.Write("README.md", "# Demo\n\nA demo project.\n");
  repo.Write("src/lib/parse.py", "def parse(text):\n    \"\"\"Parses text.\"\"\"\n    return text\n");
  repo.Write("src/lib/emit.py", "def emit(value):\n    return value\n");
  repo.Write("src/main.py", "import src.lib.parse\n\n\ndef main():\n    pass\n");
  repo.Write("_private.py", "def hidden():\n    pass\n");
  repo.Commit("first");
  REQUIRE(cli.Run("project add p --repo " + ShellQuote(repo.url())).exit_code == 0);
  REQUIRE(cli.Run("sync p").exit_code == 0);
  const fs::path site = dir.path() / "site";
  int code = -1;
  rapidjson::Document first = cli.Json("docs export p " + ShellQuote(site.string()), &code);
  REQUIRE(code == 0);
  // Five file pages and three indexes (the root, src, src/lib).
  CHECK(first["pages"].GetInt() == 8);
  CHECK(first["written"].Size() == 8);
  CHECK(fs::exists(site / "_index.md"));
  CHECK(fs::exists(site / "src/lib/parse.py.md"));
  CHECK(fs::exists(site / "__private.py.md"));  // a name starting with '_' cannot be an index
  auto text = [&](const fs::path& file) {
    std::ifstream in(file);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  };
  CHECK(text(site / "src/lib/parse.py.md").find("Parses text.") != std::string::npos);
  CHECK(text(site / "_index.md").find("A demo project.") != std::string::npos);  // the README
  CHECK(text(site / "src/lib/_index.md").find("(../../src/lib/parse.py.md)") != std::string::npos);
  // The import resolved to its file, and the repository map on the root's
  // index names the file imported most, with its functions.
  CHECK(text(site / "src/main.py.md").find("[src/lib/parse.py](../src/lib/parse.py.md)") != std::string::npos);
  const std::string root_index = text(site / "_index.md");
  CHECK(root_index.find("## Repository map") != std::string::npos);
  CHECK(root_index.find("[src/lib/parse.py](src/lib/parse.py.md), imported by 1 file") != std::string::npos);

  // Nothing changed: nothing written.
  rapidjson::Document again = cli.Json("docs export p " + ShellQuote(site.string()));
  CHECK(again["written"].Size() == 0);
  CHECK(again["unchanged"].GetInt() == 8);

  std::map<std::string, fs::file_time_type> before;
  for (const auto& entry : fs::recursive_directory_iterator(site)) {
    if (entry.is_regular_file()) before[fs::relative(entry.path(), site).string()] = entry.last_write_time();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  repo.Write("src/lib/parse.py", "def parse(text):\n    \"\"\"Parses text.\"\"\"\n    return text\n\n\ndef parse_all(texts):\n    return texts\n");
  repo.Commit("one more function");
  REQUIRE(cli.Run("sync p").exit_code == 0);
  rapidjson::Document changed = cli.Json("docs export p " + ShellQuote(site.string()));
  std::set<std::string> written;
  for (const auto& w : changed["written"].GetArray()) written.insert(w.GetString());
  // Its page, its folder's index, and the root's, whose map lists its
  // functions; src/_index.md and every other page stay as they were.
  CHECK(written == std::set<std::string>{"src/lib/parse.py.md", "src/lib/_index.md", "_index.md"});
  for (const auto& [path, time] : before) {
    if (written.count(path) != 0 || path == ".tether-docs") continue;
    INFO(path);
    CHECK(fs::last_write_time(site / path) == time);
  }
  CHECK(text(site / "src/lib/parse.py.md").find("parse_all") != std::string::npos);

  // A removed file's page goes; a folder the export did not write is refused.
  repo.Remove("src/lib/emit.py");
  repo.Commit("no emit");
  REQUIRE(cli.Run("sync p").exit_code == 0);
  rapidjson::Document removed = cli.Json("docs export p " + ShellQuote(site.string()) + " --html");
  REQUIRE(removed["removed"].Size() == 1);
  CHECK(std::string(removed["removed"][0].GetString()) == "src/lib/emit.py.md");
  CHECK_FALSE(fs::exists(site / "src/lib/emit.py.md"));
  CHECK(text(site / "src/lib/parse.py.html").find("<h3>parse_all</h3>") != std::string::npos);
  CHECK(text(site / "src/lib/_index.html").find("href=\"../../src/lib/parse.py.html\"") != std::string::npos);
  fs::create_directories(dir.path() / "other");
  std::ofstream(dir.path() / "other" / "mine.txt") << "mine";
  CHECK(cli.Run("docs export p " + ShellQuote((dir.path() / "other").string())).exit_code == 2);
  CHECK(text(dir.path() / "other" / "mine.txt") == "mine");
}

// The promise of a minor release: a storage built for SDK 3.1 (without the
// analysis methods 3.2 appended) loads, syncs, and is never asked for what
// its vtable lacks; its projects are not analysed, and the run says why.
TEST_CASE("a storage built for SDK 3.1 syncs with analyzers configured, and its projects are not analysed") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  const fs::path calls = dir.path() / "calls.txt";
  TetherCli cli(dir.path(), "",
                ",{\"name\": \"memory-3.1\", \"kind\": \"storage\", \"path\": \"" MEMORY_31_PLUGIN "\"}"
                ",{\"name\": \"fixture-analyzer\", \"kind\": \"analyzer\", \"path\": \"" FIXTURE_ANALYZER
                "\", \"settings\": {\"calls_file\": \"" + calls.string() + "\"}}");
  repo.Write("a.py", "def alpha\n");
  repo.Commit("one");
  rapidjson::Document plugins = cli.Json("plugins list");
  bool listed = false;
  for (const auto& p : plugins["plugins"].GetArray()) {
    if (std::string(p["name"].GetString()) != "memory-3.1") continue;
    listed = true;
    CHECK(std::string(p["abi"].GetString()) == "3.1");
    CHECK(std::string(p["state"].GetString()) == "loaded");
  }
  CHECK(listed);
  REQUIRE(cli.Run("project add old --storage memory-3.1 --repo " + ShellQuote(repo.url())).exit_code == 0);
  REQUIRE(cli.Run("project add new --repo " + ShellQuote(repo.url())).exit_code == 0);
  int code = -1;
  rapidjson::Document old_run = cli.Json("sync old", &code);
  REQUIRE(code == 0);
  const rapidjson::Value& run = old_run["runs"][0];
  CHECK(std::string(run["outcome"].GetString()) == "succeeded");
  CHECK(run["files_added"].GetInt() == 1);
  REQUIRE(run["analysis"].HasMember("fixture-analyzer"));
  CHECK_THAT(std::string(run["analysis"]["fixture-analyzer"]["error"].GetString()),
             Catch::Contains("storage plugin \"memory-3.1\" keeps no analysis results"));
  CHECK_FALSE(fs::exists(calls));  // the analyzer was never called
  CliResult symbols = cli.Run("symbols old alpha --analyzer fixture-analyzer");
  CHECK(symbols.exit_code == 2);
  CHECK_THAT(symbols.err, Catch::Contains("keeps no analysis results"));
  // A project on the current storage, in the same process's config, is.
  rapidjson::Document new_run = cli.Json("sync new", &code);
  REQUIRE(code == 0);
  CHECK(new_run["runs"][0]["analysis"]["fixture"]["analyzed"].GetInt() == 1);
  CHECK(cli.Run("gc --grace 0").exit_code == 0);  // a 3.1 storage is not asked to collect either
}

namespace {

// A config with the fixture analyzer and its repository step, and the file
// each Update of the step writes a line to.
struct StepWorld {
  TempDir dir;
  fs::path calls_file = dir.path() / "calls.txt";
  fs::path steps_file = dir.path() / "steps.txt";
  GitRepo repo{dir.path() / "repo"};
  TetherCli cli;

  explicit StepWorld(const std::string& version = "1")
      : cli(dir.path(), "",
            ",{\"name\": \"fixture-analyzer\", \"kind\": \"analyzer\", \"path\": \"" FIXTURE_ANALYZER
            "\", \"settings\": {\"calls_file\": \"" +
                calls_file.string() + "\", \"steps_file\": \"" + steps_file.string() + "\", \"version\": \"" +
                version + "\"}}") {}

  std::vector<std::string> Steps() const {
    std::vector<std::string> lines;
    std::ifstream in(steps_file);
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    return lines;
  }

  // `tether --json sync NAME` (extra arguments after it): the fixture's tally.
  rapidjson::Value Sync(rapidjson::Document& doc, const std::string& args, int expected_exit = 0) {
    int code = -1;
    doc = cli.Json("sync " + args, &code);
    REQUIRE(code == expected_exit);
    const rapidjson::Value& run = doc["runs"][doc["runs"].Size() - 1];
    REQUIRE(run["analysis"].HasMember("fixture"));
    return rapidjson::Value(run["analysis"]["fixture"], doc.GetAllocator());
  }
};

}  // namespace

TEST_CASE("a repository step is given what changed since it last completed, and keeps its outputs") {
  StepWorld w;
  w.repo.Write("a.py", "def alpha\n");
  w.repo.Write("src/b.py", "def beta\n");
  w.repo.Commit("two files");
  REQUIRE(w.cli.Run("project add p --repo " + ShellQuote(w.repo.url())).exit_code == 0);
  rapidjson::Document d1;
  rapidjson::Value first = w.Sync(d1, "p");
  CHECK(first["complete"].GetBool());
  REQUIRE(first.HasMember("repository"));
  CHECK(first["repository"]["changed"].GetInt() == 2);
  CHECK(first["repository"]["written"].GetInt() == 3);  // files, lines/a.py, lines/src/b.py
  REQUIRE(w.Steps().size() == 1);
  CHECK(w.Steps()[0] == "first=1 previous=none changes=added:a.py,added:src/b.py,");

  SECTION("a noop sync does not run it") {
    rapidjson::Document d2;
    w.Sync(d2, "p");
    CHECK(w.Steps().size() == 1);
  }
  SECTION("a one-file change, a rename, and the runs it missed") {
    w.repo.Write("a.py", "def alpha\ndef alpha2\n");
    w.repo.Commit("change a");
    rapidjson::Document d2;
    rapidjson::Value changed = w.Sync(d2, "p");
    CHECK(changed["repository"]["changed"].GetInt() == 1);
    REQUIRE(w.Steps().size() == 2);
    // Its own output from the last run, read back.
    CHECK(w.Steps()[1] == "first=0 previous=a.py;src/b.py changes=modified:a.py,");

    w.repo.Move("src/b.py", "src/c.py");
    w.repo.Commit("rename");
    REQUIRE(w.cli.Run("sync p --no-analyze").exit_code == 0);
    CHECK(w.Steps().size() == 2);
    w.repo.Write("d.py", "def delta\n");
    w.repo.Commit("add d");
    rapidjson::Document d4;
    rapidjson::Value caught_up = w.Sync(d4, "p");
    CHECK(caught_up["analyzed"].GetInt() == 1);  // d.py; the renamed blob is reused
    REQUIRE(w.Steps().size() == 3);
    CHECK(w.Steps()[2] == "first=0 previous=a.py;src/b.py changes=added:d.py,deleted:src/b.py,added:src/c.py,");
  }
  SECTION("a new version of the analyzer it needs makes it a first run again") {
    w.cli.Reconfigure("", ",{\"name\": \"fixture-analyzer\", \"kind\": \"analyzer\", \"path\": \"" FIXTURE_ANALYZER
                          "\", \"settings\": {\"calls_file\": \"" + w.calls_file.string() +
                          "\", \"steps_file\": \"" + w.steps_file.string() + "\", \"version\": \"2\"}}");
    int code = -1;
    rapidjson::Document d2 = w.cli.Json("sync p", &code);
    REQUIRE(code == 0);
    CHECK(d2["runs"][0]["analysis"]["fixture"]["analyzed"].GetInt() == 2);
    REQUIRE(w.Steps().size() == 2);
    CHECK(w.Steps()[1] == "first=1 previous=none changes=added:a.py,added:src/b.py,");
  }
}

TEST_CASE("a repository step that fails, throws or puts a bad output stores nothing and is given the change again") {
  StepWorld w;
  w.repo.Write("a.py", "def alpha\n");
  w.repo.Commit("one file");
  REQUIRE(w.cli.Run("project add p --repo " + ShellQuote(w.repo.url())).exit_code == 0);
  rapidjson::Document d1;
  w.Sync(d1, "p");
  REQUIRE(w.Steps().size() == 1);

  const std::pair<const char*, const char*> faults[] = {
      {"STEP-FAIL", "asked to fail"},
      {"STEP-THROW", "threw: asked to throw"},
      {"STEP-BAD-OUTPUT", "an output's name must be 1 to 4096 bytes of UTF-8 without NUL"},
  };
  for (const auto& [marker, message] : faults) {
    INFO(marker);
    const size_t before = w.Steps().size();
    w.repo.Write("b.py", std::string("def beta\n# ") + marker + "\n");
    w.repo.Commit(marker);
    rapidjson::Document d2;
    rapidjson::Value failed = w.Sync(d2, "p");
    // The sync itself succeeded; the step's failure is in its tally.
    CHECK(std::string(d2["runs"][0]["outcome"].GetString()) == "succeeded");
    CHECK_FALSE(failed["complete"].GetBool());
    REQUIRE(failed.HasMember("error"));
    CHECK_THAT(std::string(failed["error"].GetString()), Catch::Contains(message));
    REQUIRE(w.Steps().size() == before + 1);
    CHECK(w.Steps().back() == "first=0 previous=a.py changes=added:b.py,");
  }
  // Fixed: the step is given everything since it last completed, and its
  // previous output is the one from before the failures.
  w.repo.Write("b.py", "def beta\n");
  w.repo.Commit("fixed");
  rapidjson::Document d3;
  rapidjson::Value fixed = w.Sync(d3, "p");
  CHECK(fixed["complete"].GetBool());
  CHECK(w.Steps().back() == "first=0 previous=a.py changes=added:b.py,");
  rapidjson::Document d4;
  w.Sync(d4, "p");  // noop: complete, nothing to give it
  w.repo.Remove("a.py");
  w.repo.Commit("no a");
  rapidjson::Document d5;
  w.Sync(d5, "p");
  CHECK(w.Steps().back() == "first=0 previous=a.py;b.py changes=deleted:a.py,");
}

TEST_CASE("an analyzer built for SDK 3.2 analyses blobs and is never asked for a repository step") {
  StepWorld w;
  TetherCli& old = w.cli;
  old.Reconfigure("", ",{\"name\": \"fixture-analyzer\", \"kind\": \"analyzer\", \"path\": \"" FIXTURE_ANALYZER_32
                      "\", \"settings\": {\"calls_file\": \"" + w.calls_file.string() +
                      "\", \"steps_file\": \"" + w.steps_file.string() + "\"}}");
  w.repo.Write("a.py", "def alpha\n");
  w.repo.Commit("one file");
  REQUIRE(old.Run("project add p --repo " + ShellQuote(w.repo.url())).exit_code == 0);
  rapidjson::Document plugins = old.Json("plugins list");
  for (const auto& p : plugins["plugins"].GetArray()) {
    if (std::string(p["name"].GetString()) == "fixture-analyzer") CHECK(std::string(p["abi"].GetString()) == "3.2");
  }
  int code = -1;
  rapidjson::Document synced = old.Json("sync p", &code);
  REQUIRE(code == 0);
  const rapidjson::Value& tally = synced["runs"][0]["analysis"]["fixture"];
  CHECK(tally["analyzed"].GetInt() == 1);
  CHECK(tally["complete"].GetBool());
  CHECK_FALSE(tally.HasMember("repository"));
  CHECK_FALSE(fs::exists(w.steps_file));
}

TEST_CASE("docs without the code analyzer says what it needs, and a rename moves the file's page") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  TetherCli cli(dir.path(), "", ",{\"name\": \"docs\", \"kind\": \"analyzer\"}");
  repo.Write("src/a.py", "def alpha():\n    pass\n");
  repo.Write("b.py", "import src.a\n");
  repo.Commit("two files");
  REQUIRE(cli.Run("project add p --repo " + ShellQuote(repo.url())).exit_code == 0);
  int code = -1;
  rapidjson::Document synced = cli.Json("sync p", &code);
  REQUIRE(code == 0);
  const rapidjson::Value& docs = synced["runs"][0]["analysis"]["docs"];
  CHECK_FALSE(docs["complete"].GetBool());
  CHECK_THAT(std::string(docs["error"].GetString()), Catch::Contains("needs analyzer \"code\", which is not configured"));

  cli.Reconfigure("", kCodeAndDocs);
  rapidjson::Document analysed = cli.Json("analyze p", &code);
  REQUIRE(code == 0);
  const rapidjson::Value& tallies = analysed["projects"][0]["analysis"];
  CHECK(tallies["docs"]["complete"].GetBool());
  CHECK(tallies["docs"]["repository"]["changed"].GetInt() == 2);
  const fs::path site = dir.path() / "site";
  REQUIRE(cli.Run("docs export p " + ShellQuote(site.string())).exit_code == 0);
  CHECK(fs::exists(site / "src/a.py.md"));

  repo.Move("src/a.py", "lib/a.py");
  repo.Commit("move a");
  rapidjson::Document moved = cli.Json("sync p", &code);
  REQUIRE(code == 0);
  const rapidjson::Value& run = moved["runs"][0]["analysis"];
  CHECK(run["code"]["analyzed"].GetInt() == 0);  // the same blob: no analyzer call
  CHECK(run["docs"]["repository"]["changed"].GetInt() == 2);
  rapidjson::Document exported = cli.Json("docs export p " + ShellQuote(site.string()), &code);
  REQUIRE(code == 0);
  CHECK_FALSE(fs::exists(site / "src/a.py.md"));
  CHECK_FALSE(fs::exists(site / "src/_index.md"));
  CHECK(fs::exists(site / "lib/a.py.md"));
  CHECK(fs::exists(site / "lib/_index.md"));
  // b.py's import named src/a.py; it names no file now, and its page says so.
  std::ifstream in(site / "b.py.md");
  std::stringstream page;
  page << in.rdbuf();
  CHECK(page.str().find("- src.a\n") != std::string::npos);
}

TEST_CASE("the bundled analyzers refuse a setting they do not know, by name, and the plugin check says so") {
  TempDir dir;
  TetherCli cli(dir.path(), "",
                ",{\"name\": \"code\", \"kind\": \"analyzer\", \"settings\": {\"depth\": 1}}"
                ",{\"name\": \"docs\", \"kind\": \"analyzer\", \"settings\": {\"pages\": \"all\"}}");
  CliResult checked = cli.Run("plugins check");
  CHECK(checked.exit_code != 0);
  const std::string all = checked.out + checked.err;
  CHECK_THAT(all, Catch::Contains("settings of plugin 'code' (code): unknown key \"depth\""));
  CHECK_THAT(all, Catch::Contains("settings of plugin 'docs' (docs): unknown key \"pages\""));
}

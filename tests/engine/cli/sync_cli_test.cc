// The sync pipeline end to end, through the tether binary, on real git
// repositories and a real SQLite database.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cli_harness.h"
#include "support/status_checks.h"

using tether::testing::CliResult;
using tether::testing::GitRepo;
using tether::testing::ShellQuote;
using tether::testing::TempDir;
using tether::testing::TetherCli;
using tether::testing::TetherProcess;

namespace {

// A project "p" following `repo` with its default branch.
void AddProject(TetherCli& cli, GitRepo& repo, const std::string& extra = "") {
  CliResult added = cli.Run("project add p --repo " + ShellQuote(repo.url()) + " " + extra);
  INFO(added.err);
  REQUIRE(added.exit_code == 0);
}

const rapidjson::Value& OnlyRun(const rapidjson::Document& doc) {
  REQUIRE(doc["runs"].Size() == 1);
  return doc["runs"][0];
}

std::string Str(const rapidjson::Value& v, const char* key) {
  return v[key].IsString() ? v[key].GetString() : std::string();
}

// Marks every document of the project as embedded, as an analyzer would.
void EmbedEverything(TetherCli& cli) {
  REQUIRE_OK(cli.db().Execute(cli.postgres() ? "UPDATE documents SET embedding = '\\x0102030405'::bytea"
                                             : "UPDATE documents SET embedding = X'0102030405'",
                              "embed"));
}

// Makes the database refuse to insert the row for `path`: a real failure
// in the middle of a write, with no hook in Tether's code.
void RefuseInsertOf(TetherCli& cli, const std::string& path) {
  if (cli.postgres()) {
    REQUIRE_OK(cli.db().Execute("CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN IF NEW.path = '" + path +
                                    "' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
                                "function"));
    REQUIRE_OK(cli.db().Execute("CREATE TRIGGER boom BEFORE INSERT ON documents FOR EACH ROW EXECUTE FUNCTION boom()", "trigger"));
    return;
  }
  REQUIRE_OK(cli.db().Execute("CREATE TRIGGER boom BEFORE INSERT ON documents WHEN NEW.path = '" + path +
                                  "' BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
                              "trigger"));
}

long long Embedded(TetherCli& cli, const std::string& path) {
  return cli.Count("SELECT COUNT(*) FROM documents WHERE path = '" + path + "' AND embedding IS NOT NULL");
}

long long Docs(TetherCli& cli) { return cli.Count("SELECT COUNT(*) FROM documents"); }

}  // namespace

TEST_CASE("first sync stores every file and a resync with nothing new does nothing") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  repo.Write("README.md", "# hello\n");
  repo.Write("src/main.cc", "int main() { return 0; }\n");
  repo.Write("src/deep/nested/util.py", "print('x')\n");
  repo.Write("bin/run.sh", "#!/bin/sh\necho hi\n", true);
  repo.Write("data/blob.bin", std::string("\x00\x01\x02\xff binary", 11));
  repo.Symlink("link-out", "../../etc/passwd");
  const std::string escapes = "tab\there, back\\slash \\N, CRLF\r\nquote ' \" {a,b}\n";
  repo.Write("escapes.txt", escapes);  // what COPY and array literals must carry unchanged
  const std::string head = repo.Commit("first");
  const std::string listing = repo.Git("ls-tree -r --name-only HEAD");
  const long long files = static_cast<long long>(std::count(listing.begin(), listing.end(), '\n') + 1);

  TetherCli cli(dir.path());
  AddProject(cli, repo);
  int code = -1;
  auto doc = cli.Json("sync p", &code);
  CHECK(code == 0);
  const auto& run = OnlyRun(doc);
  CHECK(Str(run, "outcome") == "succeeded");
  CHECK(Str(run, "mode") == "full");
  CHECK(Str(run, "to_commit") == head);
  CHECK(run["files_added"].GetInt64() == files);
  CHECK(Docs(cli) == files);
  CHECK(cli.Text("SELECT commit_id FROM storage_cursors") == head);
  CHECK(cli.Text("SELECT content FROM documents WHERE path = 'src/main.cc'") == "int main() { return 0; }\n");
  CHECK(cli.Text("SELECT language FROM documents WHERE path = 'src/main.cc'") == "cpp");
  CHECK(cli.Text("SELECT content FROM documents WHERE path = 'escapes.txt'") == escapes);
  CHECK(cli.Text("SELECT kind FROM documents WHERE path = 'bin/run.sh'") == "executable");
  // Binary: metadata only.
  CHECK(cli.Count("SELECT is_binary FROM documents WHERE path = 'data/blob.bin'") == 1);
  CHECK(cli.Count("SELECT COUNT(*) FROM documents WHERE path = 'data/blob.bin' AND content IS NULL") == 1);
  CHECK(cli.Count("SELECT size FROM documents WHERE path = 'data/blob.bin'") == 11);
  // A symlink is recorded as a symlink (its target), never followed.
  CHECK(cli.Text("SELECT kind FROM documents WHERE path = 'link-out'") == "symlink");
  CHECK(cli.Text("SELECT content FROM documents WHERE path = 'link-out'") == "../../etc/passwd");
  // Every phase is timed.
  for (const char* phase : {"discover", "resolve", "diff", "write", "analyze", "finalize"}) {
    INFO(phase);
    CHECK(run["timings_ms"][phase].IsNumber());
  }
  CHECK(cli.Count("SELECT COUNT(*) FROM sync_runs WHERE outcome = 'succeeded' AND write_ms IS NOT NULL") == 1);

  EmbedEverything(cli);
  auto again = cli.Json("sync p", &code);
  CHECK(code == 0);
  CHECK(Str(OnlyRun(again), "mode") == "noop");
  CHECK(OnlyRun(again)["files_added"].GetInt64() == 0);
  CHECK(cli.Count("SELECT COUNT(*) FROM documents WHERE embedding IS NULL") == 0);
}

TEST_CASE("an incremental sync writes only the change and keeps derived data of untouched rows") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  for (int i = 0; i < 20; ++i) repo.Write("dir" + std::to_string(i % 4) + "/f" + std::to_string(i) + ".txt", "content " + std::to_string(i) + "\n");
  repo.Write("old/name.txt", "moved content\n");
  repo.Write("tool.sh", "#!/bin/sh\n");
  repo.Commit("first");
  TetherCli cli(dir.path());
  AddProject(cli, repo);
  REQUIRE(cli.Run("sync p").exit_code == 0);
  EmbedEverything(cli);
  const std::string untouched_updated = cli.Text("SELECT updated_at FROM documents WHERE path = 'dir1/f1.txt'");

  repo.Write("dir0/f0.txt", "changed\n");   // modified
  repo.Write("dir2/new.txt", "new\t\\N {x,\"y\"} \\ \r\n");  // added (with what array literals escape)
  repo.Remove("dir3/f3.txt");               // deleted
  repo.Move("old/name.txt", "new/place/name.txt");  // renamed, same blob
  repo.Write("tool.sh", "#!/bin/sh\n", true);      // mode change only
  const std::string head = repo.Commit("second");

  int code = -1;
  auto doc = cli.Json("sync p", &code);
  REQUIRE(code == 0);
  const auto& run = OnlyRun(doc);
  CHECK(Str(run, "mode") == "incremental");
  CHECK(run["files_added"].GetInt64() == 1);
  CHECK(run["files_modified"].GetInt64() == 2);
  CHECK(run["files_deleted"].GetInt64() == 1);
  CHECK(run["files_renamed"].GetInt64() == 1);
  CHECK(Docs(cli) == 22);
  CHECK(cli.Text("SELECT commit_id FROM storage_cursors") == head);

  CHECK(Embedded(cli, "dir0/f0.txt") == 0);          // new content: stale embedding cleared
  CHECK(Embedded(cli, "new/place/name.txt") == 1);   // row moved with its embedding
  CHECK(cli.Count("SELECT COUNT(*) FROM documents WHERE path = 'old/name.txt'") == 0);
  CHECK(Embedded(cli, "tool.sh") == 1);              // same blob: still valid
  CHECK(cli.Text("SELECT kind FROM documents WHERE path = 'tool.sh'") == "executable");
  CHECK(Embedded(cli, "dir1/f1.txt") == 1);          // untouched
  CHECK(cli.Text("SELECT updated_at FROM documents WHERE path = 'dir1/f1.txt'") == untouched_updated);
  CHECK(cli.Text("SELECT content FROM documents WHERE path = 'dir2/new.txt'") == "new\t\\N {x,\"y\"} \\ \r\n");
}

TEST_CASE("a force push compares the whole tree and reuses unchanged rows") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  repo.Write("keep.txt", "keep\n");
  repo.Write("a/b.txt", "b\n");
  repo.Commit("first");
  repo.Write("later.txt", "later\n");
  repo.Write("a/b.txt", "b changed\n");
  repo.Commit("second");
  TetherCli cli(dir.path());
  AddProject(cli, repo);
  REQUIRE(cli.Run("sync p").exit_code == 0);
  EmbedEverything(cli);

  // Rewrite history: drop "second", commit something else instead.
  repo.Git("reset --hard HEAD~1");
  repo.Write("other.txt", "other\n");
  repo.Move("keep.txt", "kept/keep.txt");
  const std::string head = repo.Commit("rewritten");
  repo.Git("reflog expire --expire=now --all");
  repo.Git("gc --prune=now --quiet");

  int code = -1;
  auto doc = cli.Json("sync p", &code);
  REQUIRE(code == 0);
  const auto& run = OnlyRun(doc);
  CHECK(Str(run, "mode") == "force_push");
  CHECK(cli.Text("SELECT commit_id FROM storage_cursors") == head);
  CHECK(Docs(cli) == 3);  // a/b.txt, kept/keep.txt, other.txt
  CHECK(cli.Count("SELECT COUNT(*) FROM documents WHERE path = 'later.txt'") == 0);
  CHECK(cli.Text("SELECT content FROM documents WHERE path = 'a/b.txt'") == "b\n");
  CHECK(Embedded(cli, "a/b.txt") == 0);          // content went back: re-derived
  CHECK(Embedded(cli, "kept/keep.txt") == 1);    // same blob, moved: kept
  CHECK(run["files_renamed"].GetInt64() == 1);
}

TEST_CASE("a branch switch is reported as one, select-branch says what it will change, and back costs the same") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  repo.Write("shared.txt", "shared\n");
  repo.Write("only-main.txt", "main\n");
  repo.Commit("first");
  repo.Git("checkout -q -b topic");
  repo.Remove("only-main.txt");
  repo.Write("only-topic.txt", "topic\n");
  repo.Write("shared.txt", "shared, changed on topic\n");
  repo.Commit("topic work");
  repo.Git("checkout -q main");
  repo.Write("main-later.txt", "later\n");
  repo.Commit("main moves on");  // topic's head is no descendant of main's
  TetherCli cli(dir.path());
  AddProject(cli, repo);
  REQUIRE(cli.Run("sync p").exit_code == 0);
  EmbedEverything(cli);

  rapidjson::Document selected = cli.Json("project select-branch p topic");
  REQUIRE(selected["next_sync"].IsObject());
  CHECK(selected["next_sync"]["added"].GetInt() == 1);     // only-topic.txt
  CHECK(selected["next_sync"]["modified"].GetInt() == 1);  // shared.txt
  CHECK(selected["next_sync"]["deleted"].GetInt() == 2);   // only-main.txt, main-later.txt
  CHECK(selected["next_sync"]["files"].GetInt() == 4);
  CliResult said = cli.Run("project select-branch p topic");
  CHECK_THAT(said.out, Catch::Contains("the next sync changes 4 files (1 added, 1 modified, 2 deleted, 0 renamed)"));

  int code = -1;
  auto doc = cli.Json("sync p", &code);
  REQUIRE(code == 0);
  const auto& run = OnlyRun(doc);
  CHECK(Str(run, "mode") == "branch_switch");
  CHECK(run["files_added"].GetInt64() + run["files_modified"].GetInt64() + run["files_deleted"].GetInt64() == 4);
  CHECK(Embedded(cli, "shared.txt") == 0);  // its content changed: re-derived

  // Back to main: the same kind of run, and a sync after it is ordinary.
  REQUIRE(cli.Run("project select-branch p main").exit_code == 0);
  auto back = cli.Json("sync p", &code);
  REQUIRE(code == 0);
  CHECK(Str(OnlyRun(back), "mode") == "branch_switch");
  repo.Write("main-later.txt", "later again\n");
  repo.Commit("main again");
  auto next = cli.Json("sync p", &code);
  REQUIRE(code == 0);
  CHECK(Str(OnlyRun(next), "mode") == "incremental");
  CHECK(cli.Json("project select-branch p main")["next_sync"]["files"].GetInt() == 0);
}

TEST_CASE("sync --full compares the whole tree whatever the cursor, repairs what differs and keeps the rest") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  repo.Write("keep.txt", "keep\n");
  repo.Write("a/b.txt", "b\n");
  repo.Write("gone.txt", "gone\n");
  repo.Commit("first");
  TetherCli cli(dir.path());
  AddProject(cli, repo);
  REQUIRE(cli.Run("sync p").exit_code == 0);
  EmbedEverything(cli);
  const std::string kept_updated = cli.Text("SELECT updated_at FROM documents WHERE path = 'keep.txt'");

  // Damage the copy behind the cursor's back: a row lost, a row too many.
  REQUIRE_OK(cli.db().Execute("DELETE FROM documents WHERE path = 'a/b.txt'", "lose a row"));
  REQUIRE_OK(cli.db().Execute("UPDATE documents SET path = 'stray.txt' WHERE path = 'gone.txt'", "move a row"));
  int code = -1;
  auto noop = cli.Json("sync p", &code);
  REQUIRE(code == 0);
  CHECK(Str(OnlyRun(noop), "mode") == "noop");  // the cursor says nothing changed
  CHECK(Docs(cli) == 2);

  auto repaired = cli.Json("sync p --full", &code);
  REQUIRE(code == 0);
  const auto& run = OnlyRun(repaired);
  CHECK(Str(run, "mode") == "full");
  CHECK(Docs(cli) == 3);
  CHECK(cli.Count("SELECT COUNT(*) FROM documents WHERE path = 'stray.txt'") == 0);
  CHECK(cli.Text("SELECT content FROM documents WHERE path = 'a/b.txt'") == "b\n");
  CHECK(cli.Text("SELECT content FROM documents WHERE path = 'gone.txt'") == "gone\n");
  // The row whose blob did not change was not touched, and keeps what was derived from it.
  CHECK(cli.Text("SELECT updated_at FROM documents WHERE path = 'keep.txt'") == kept_updated);
  CHECK(Embedded(cli, "keep.txt") == 1);
  // Nothing to repair: a full run that changes nothing.
  auto again = cli.Json("sync p --full", &code);
  REQUIRE(code == 0);
  CHECK(Str(OnlyRun(again), "mode") == "full");
  CHECK(OnlyRun(again)["files_added"].GetInt64() + OnlyRun(again)["files_deleted"].GetInt64() == 0);
}

TEST_CASE("a resync reads only the branch's ref while it has not moved, and sees it move in a loose ref or packed-refs alone") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  repo.Write("x.txt", "1\n");
  const std::string c1 = repo.Commit("one");
  TetherCli cli(dir.path());
  AddProject(cli, repo);
  REQUIRE(cli.Run("sync p").exit_code == 0);
  const std::filesystem::path git_dir = repo.path() / ".git";
  int code = -1;
  auto sync = [&] {
    auto doc = cli.Json("sync p", &code);
    return std::make_pair(Str(OnlyRun(doc), "mode"), Str(OnlyRun(doc), "to_commit"));
  };

  repo.Git("pack-refs --all");  // main in packed-refs only
  REQUIRE_FALSE(std::filesystem::exists(git_dir / "refs/heads/main"));
  CHECK(sync() == std::make_pair(std::string("noop"), c1));
  repo.Write("x.txt", "2\n");
  const std::string c2 = repo.Commit("two");  // a loose ref beside the packed one
  CHECK(sync() == std::make_pair(std::string("incremental"), c2));
  repo.Write("x.txt", "3\n");
  const std::string c3 = repo.Commit("three");
  repo.Git("pack-refs --all");  // moved, in packed-refs alone
  REQUIRE_FALSE(std::filesystem::exists(git_dir / "refs/heads/main"));
  CHECK(sync() == std::make_pair(std::string("incremental"), c3));
  repo.Git("update-ref refs/heads/main " + c2);  // back, in a loose ref over a stale packed one
  CHECK(sync() == std::make_pair(std::string("force_push"), c2));
  CHECK(cli.Text("SELECT content FROM documents WHERE path = 'x.txt'") == "2\n");
  CHECK(sync() == std::make_pair(std::string("noop"), c2));

  // While the branch has not moved, the repository is not opened at all:
  // one that libgit2 refuses to open still resyncs as a no-op, and the
  // branch's next move fails with libgit2's error, changing nothing.
  repo.Git("config core.repositoryformatversion 99");
  CHECK(sync() == std::make_pair(std::string("noop"), c2));
  std::ofstream(git_dir / "refs/heads/main", std::ios::trunc) << c3 << "\n";  // git itself refuses such a repository
  CliResult refused = cli.Run("sync p");
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Catch::Contains("repository") && Catch::Contains("99"));
  CHECK(cli.Text("SELECT commit_id FROM storage_cursors") == c2);
  CHECK(cli.Text("SELECT content FROM documents WHERE path = 'x.txt'") == "2\n");
  std::ofstream(git_dir / "config", std::ios::app) << "[core]\n\trepositoryformatversion = 0\n";
  CHECK(sync() == std::make_pair(std::string("incremental"), c3));
}

TEST_CASE("a deleted branch fails the run and deletes nothing") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  repo.Write("x.txt", "x\n");
  repo.Commit("first");
  repo.Git("checkout -q -b feature/deep/topic");
  repo.Write("y.txt", "y\n");
  repo.Commit("on topic");
  repo.Git("checkout -q main");
  TetherCli cli(dir.path());
  AddProject(cli, repo, "--branch feature/deep/topic");
  REQUIRE(cli.Run("sync p").exit_code == 0);
  const std::string cursor = cli.Text("SELECT commit_id FROM storage_cursors");
  EmbedEverything(cli);

  repo.Git("branch -D feature/deep/topic");
  CliResult failed = cli.Run("sync p");
  CHECK(failed.exit_code == 1);
  CHECK_THAT(failed.err, Catch::Contains("feature/deep/topic"));
  CHECK(Docs(cli) == 2);
  CHECK(cli.Count("SELECT COUNT(*) FROM documents WHERE embedding IS NULL") == 0);
  CHECK(cli.Text("SELECT commit_id FROM storage_cursors") == cursor);
  CHECK(cli.Text("SELECT status FROM project_syncs") == "branch_missing");
  CHECK(cli.Count("SELECT COUNT(*) FROM sync_runs WHERE outcome = 'failed' AND error LIKE '%feature/deep/topic%'") == 1);
}

TEST_CASE("a broken branch the project does not follow does not stop its sync, and a missing one is still named") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  repo.Write("x.txt", "x\n");
  repo.Commit("first");
  TetherCli cli(dir.path());
  AddProject(cli, repo);
  // A branch whose commit is gone (an object deleted behind git's back): it
  // cannot be listed with its head, so `project branches` fails...
  const std::filesystem::path git_dir = repo.path() / ".git";
  std::ofstream(git_dir / "refs" / "heads" / "dangling") << std::string(40, '1') << "\n";
  CHECK(cli.Run("project branches p").exit_code != 0);
  // ...but the project's branch is resolved by itself: the sync goes on.
  repo.Write("y.txt", "y\n");
  const std::string head = repo.Commit("second");
  CliResult synced = cli.Run("sync p");
  INFO(synced.err);
  REQUIRE(synced.exit_code == 0);
  CHECK(Docs(cli) == 2);
  CHECK(cli.Text("SELECT commit_id FROM storage_cursors") == head);

  // The followed branch gone: still branch_missing, nothing deleted, even
  // though the other branch cannot be listed (that error is the one said).
  repo.Git("checkout -q -b other");
  repo.Git("branch -D main");
  CliResult failed = cli.Run("sync p");
  CHECK(failed.exit_code != 0);
  CHECK(Docs(cli) == 2);
  CHECK(cli.Text("SELECT commit_id FROM storage_cursors") == head);
  std::filesystem::remove(git_dir / "refs" / "heads" / "dangling");
  failed = cli.Run("sync p");
  CHECK(failed.exit_code == 1);
  CHECK_THAT(failed.err, Catch::Contains("branch \"main\"") && Catch::Contains("nothing was deleted"));
  CHECK(cli.Text("SELECT status FROM project_syncs") == "branch_missing");
  CHECK(Docs(cli) == 2);
}

TEST_CASE("a change set of many bytes is read by more than one reader and stored in order, row for row") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  repo.Write("keep.txt", "kept\n");
  repo.Commit("first");
  TetherCli cli(dir.path());
  AddProject(cli, repo);
  REQUIRE(cli.Run("sync p").exit_code == 0);
  // 300 files of 12 KiB of text: 3.5 MiB, past the first reader's share,
  // in fewer changes than the old threshold for a second reader (1,024).
  std::string expected_total;
  for (int i = 0; i < 300; ++i) {
    std::string body;
    for (int line = 0; body.size() < 12 * 1024; ++line) {
      body += "file " + std::to_string(i) + " line " + std::to_string(line) + "\n";
    }
    repo.Write("d" + std::to_string(i % 7) + "/f" + std::to_string(i) + ".txt", body);
  }
  repo.Commit("many bytes");
  int code = 0;
  auto run = cli.Json("sync p --no-analyze", &code);
  REQUIRE(code == 0);
  CHECK(Str(OnlyRun(run), "mode") == "incremental");
  CHECK(OnlyRun(run)["files_added"].GetInt64() == 300);
  CHECK(Docs(cli) == 301);
  // Every row holds its own file's bytes.
  for (int i : {0, 1, 63, 64, 65, 127, 128, 199, 250, 299}) {
    const std::string path = "d" + std::to_string(i % 7) + "/f" + std::to_string(i) + ".txt";
    const std::string stored = cli.Text("SELECT content FROM documents WHERE path = '" + path + "'");
    CHECK(stored.rfind("file " + std::to_string(i) + " line 0\n", 0) == 0);
    CHECK(stored.size() >= 12 * 1024);
    CHECK(repo.Git("hash-object " + ShellQuote((repo.path() / path).string())) ==
          cli.Text("SELECT blob_sha FROM documents WHERE path = '" + path + "'"));
  }
}

TEST_CASE("branches are listed with slashes and selecting a missing one is refused") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  repo.Write("x.txt", "x\n");
  repo.Commit("first");
  repo.Git("branch release/2.0");
  repo.Git("branch user/ann/wip");
  TetherCli cli(dir.path());
  AddProject(cli, repo);

  auto branches = cli.Json("project branches p");
  std::vector<std::string> names;
  for (const auto& b : branches["branches"].GetArray()) names.push_back(b["name"].GetString());
  CHECK(names == std::vector<std::string>{"main", "release/2.0", "user/ann/wip"});
  CHECK(std::string(branches["default"].GetString()) == "main");

  CliResult refused = cli.Run("project select-branch p nope/missing");
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err, Catch::Contains("nope/missing"));
  CHECK(cli.Text("SELECT branch FROM project_syncs") == "main");

  REQUIRE(cli.Run("project select-branch p user/ann/wip").exit_code == 0);
  CHECK(cli.Text("SELECT branch FROM project_syncs") == "user/ann/wip");

  CliResult bad_add = cli.Run("project add q --repo " + ShellQuote(repo.url()) + " --branch ghost");
  CHECK(bad_add.exit_code == 2);
  CHECK_THAT(bad_add.err, Catch::Contains("ghost"));
  CHECK(cli.Count("SELECT COUNT(*) FROM projects") == 1);
}

TEST_CASE("a path that is not valid UTF-8 is refused by name and the rest syncs") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  repo.Write("good.txt", "good\n");
  repo.Write(std::string("bad-\xff-name.txt"), "bad\n");
  repo.Commit("first");
  TetherCli cli(dir.path());
  AddProject(cli, repo);
  int code = -1;
  auto doc = cli.Json("sync p", &code);
  CHECK(code == 0);
  CHECK(OnlyRun(doc)["files_skipped"].GetInt64() == 1);
  CHECK(Docs(cli) == 1);
  CHECK(cli.Count("SELECT COUNT(*) FROM events WHERE type = 'path.refused' AND payload LIKE '%bad-\\\\xff-name.txt%' ESCAPE '!'") == 1);
}

namespace {

// Commits the tree that `git mktree` makes of `listing` ("MODE TYPE ID\tNAME"
// lines; git refuses none of the names the engine refuses) on top of HEAD,
// and moves main there. Returns the commit.
std::string CommitTree(GitRepo& repo, const std::string& listing, const std::string& message) {
  const std::filesystem::path input = repo.path().parent_path() / "mktree-input";
  std::ofstream(input, std::ios::binary) << listing;
  const std::string tree = repo.Git("mktree < " + ShellQuote(input.string()));
  const std::string commit = repo.Git("commit-tree " + tree + " -p HEAD -m " + ShellQuote(message));
  repo.Git("update-ref refs/heads/main " + commit);
  return commit;
}

std::string BlobOf(GitRepo& repo, const std::string& path) { return repo.Git("rev-parse HEAD:" + ShellQuote(path)); }

// `tether verify --deep` finds every stored row as the synced commit's tree has it.
void CheckRowsFollowTree(TetherCli& cli) {
  CliResult deep = cli.Run("verify --deep");
  INFO(deep.out);
  CHECK(deep.exit_code == 0);
}

}  // namespace

TEST_CASE("a rename one half of which is refused becomes a delete and an add") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  repo.Write("ok.txt", "ok\n");
  repo.Write(std::string("bad\xffname.txt"), "bad name, good content\n");
  repo.Write("keep.txt", "keep\n");
  repo.Commit("first");
  TetherCli cli(dir.path());
  AddProject(cli, repo);
  REQUIRE(cli.Run("sync p").exit_code == 0);
  REQUIRE(Docs(cli) == 2);  // ok.txt, keep.txt

  SECTION("old path refused, then new path refused") {
    repo.Move(std::string("bad\xffname.txt"), "good.txt");
    repo.Move("ok.txt", "new\nline.txt");
    repo.Commit("renames");
    int code = -1;
    auto doc = cli.Json("sync p", &code);
    REQUIRE(code == 0);
    const auto& run = OnlyRun(doc);
    CHECK(cli.Text("SELECT content FROM documents WHERE path = 'good.txt'") == "bad name, good content\n");
    CHECK(cli.Count("SELECT COUNT(*) FROM documents WHERE path = 'ok.txt'") == 0);
    CHECK(Docs(cli) == 2);  // good.txt, keep.txt: exactly the storable part of the tree
    // Two renames became two deletes and two adds; one half of each is refused.
    CHECK(run["files_added"].GetInt64() == 1);
    CHECK(run["files_deleted"].GetInt64() == 1);
    CHECK(run["files_renamed"].GetInt64() == 0);
    CHECK(run["files_skipped"].GetInt64() == 2);
    CHECK(cli.Count("SELECT COUNT(*) FROM events WHERE type = 'path.refused'"
                    " AND payload LIKE '%new\\\\x0aline.txt%control character%' ESCAPE '!'") == 1);
    CHECK(cli.Count("SELECT COUNT(*) FROM events WHERE type = 'path.refused' AND run_id = (SELECT MAX(id) FROM sync_runs)"
                    " AND payload LIKE '%bad\\\\xffname.txt%not valid UTF-8%' ESCAPE '!'") == 1);
  }
  SECTION("the blob moves to a path with a \"..\" component") {
    const std::string blob = BlobOf(repo, "ok.txt");
    const std::string keep = BlobOf(repo, "keep.txt");
    // ../sub/foobar: a tree ".." holding a tree "sub" holding the blob.
    const std::filesystem::path input = dir.path() / "leaf";
    std::ofstream(input, std::ios::binary) << "100644 blob " << blob << "\tfoobar\n";
    const std::string leaf = repo.Git("mktree < " + ShellQuote(input.string()));
    std::ofstream(input, std::ios::binary) << "040000 tree " << leaf << "\tsub\n";
    const std::string mid = repo.Git("mktree < " + ShellQuote(input.string()));
    const std::string head = CommitTree(repo, "040000 tree " + mid + "\t..\n100644 blob " + keep + "\tkeep.txt\n",
                                        "escape");
    int code = -1;
    auto doc = cli.Json("sync p", &code);
    REQUIRE(code == 0);
    const auto& run = OnlyRun(doc);
    CHECK(cli.Text("SELECT commit_id FROM storage_cursors") == head);
    CHECK(cli.Count("SELECT COUNT(*) FROM documents WHERE path = 'ok.txt'") == 0);
    CHECK(Docs(cli) == 1);
    CHECK(run["files_deleted"].GetInt64() == 1);
    CHECK(run["files_skipped"].GetInt64() == 2);  // ../sub/foobar, and the refused name's deletion
    CHECK(cli.Count("SELECT COUNT(*) FROM events WHERE type = 'path.refused' AND payload LIKE '%../sub/foobar%'") == 1);
  }
  CheckRowsFollowTree(cli);
}

TEST_CASE("a rename with a mode change keeps the derived data of its unchanged blob") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  repo.Write("b.md", "# b\n");
  repo.Write("run.sh", "#!/bin/sh\n", true);
  repo.Write("other.txt", "other\n");
  repo.Commit("first");
  TetherCli cli(dir.path());
  AddProject(cli, repo);
  REQUIRE(cli.Run("sync p").exit_code == 0);
  EmbedEverything(cli);

  repo.Move("b.md", "b2.md");
  repo.Git("update-index --chmod=+x b2.md");
  repo.Move("run.sh", "bin/run.sh");
  repo.Git("update-index --chmod=-x bin/run.sh");
  SECTION("incremental") {
    repo.Git("commit -q -m 'move and chmod'");
  }
  SECTION("force push") {
    repo.Git("commit -q --amend -m 'rewritten: move and chmod'");
    repo.Write("other.txt", "other, changed\n");
    repo.Git("add other.txt");  // only it: the index holds the new modes, the files do not
    repo.Git("commit -q --amend -m 'rewritten again'");
    repo.Git("reflog expire --expire=now --all");
    repo.Git("gc --prune=now --quiet");
  }
  int code = -1;
  auto doc = cli.Json("sync p", &code);
  REQUIRE(code == 0);
  const auto& run = OnlyRun(doc);
  CHECK(run["files_renamed"].GetInt64() == 2);
  CHECK(Embedded(cli, "b2.md") == 1);
  CHECK(cli.Text("SELECT kind FROM documents WHERE path = 'b2.md'") == "executable");
  CHECK(Embedded(cli, "bin/run.sh") == 1);
  CHECK(cli.Text("SELECT kind FROM documents WHERE path = 'bin/run.sh'") == "file");
  CHECK(cli.Count("SELECT COUNT(*) FROM documents WHERE path IN ('b.md', 'run.sh')") == 0);
  CheckRowsFollowTree(cli);
}

TEST_CASE("a change set that names a path twice fails the run and stores nothing of it") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  repo.Write("x.txt", "x\n");
  repo.Write("y.txt", "y\n");
  const std::string first = repo.Commit("first");
  TetherCli cli(dir.path());
  AddProject(cli, repo);
  const std::string x = BlobOf(repo, "x.txt");
  const std::string y = BlobOf(repo, "y.txt");
  SECTION("first sync") {
    CommitTree(repo, "100644 blob " + x + "\tx.txt\n100644 blob " + y + "\tx.txt\n", "duplicate entry");
    CliResult failed = cli.Run("sync p");
    CHECK(failed.exit_code == 1);
    CHECK_THAT(failed.err, Catch::Contains("\"local-git\" named the path \"x.txt\" twice"));
    CHECK(Docs(cli) == 0);
    CHECK(cli.Text("SELECT COALESCE(MAX(commit_id), '') FROM storage_cursors").empty());
  }
  SECTION("incremental") {
    REQUIRE(cli.Run("sync p").exit_code == 0);
    CommitTree(repo, "100644 blob " + x + "\tx.txt\n100644 blob " + y + "\ty.txt\n100644 blob " + x +
                         "\tz.txt\n100644 blob " + y + "\tz.txt\n",
               "duplicate entry");
    CliResult failed = cli.Run("sync p");
    CHECK(failed.exit_code == 1);
    CHECK_THAT(failed.err, Catch::Contains("named the path \"z.txt\" twice"));
    CHECK(Docs(cli) == 2);
    CHECK(cli.Text("SELECT commit_id FROM storage_cursors") == first);
    CHECK(cli.Text("SELECT outcome FROM sync_runs ORDER BY id DESC LIMIT 1") == "failed");
  }
}

TEST_CASE("a first sync larger than the change set held whole streams its diff into the write") {
  // 20,000 paths, more than the 16,384 changes a first sync holds before
  // its write begins (ChangeFeed::kMaxBatchesAhead batches): the rest of
  // the diff is planned while the write runs.
  constexpr int kFiles = 20000;
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  repo.Write("seed.txt", "seed\n");
  repo.Commit("seed");
  std::vector<std::string> blobs;
  for (int i = 0; i < 7; ++i) {
    repo.Write("b" + std::to_string(i), "content " + std::to_string(i) + "\n");
    repo.Git("add b" + std::to_string(i));
  }
  repo.Commit("blobs");
  for (int i = 0; i < 7; ++i) blobs.push_back(BlobOf(repo, "b" + std::to_string(i)));
  std::string listing;
  for (int i = 0; i < kFiles; ++i) {
    listing += "100644 blob " + blobs[i % 7] + "\tf" + std::to_string(100000 + i) + ".txt\n";
  }
  TetherCli cli(dir.path());
  AddProject(cli, repo);
  SECTION("every path is stored, counted, and the total known once the diff ended") {
    const std::string head = CommitTree(repo, listing, "many");
    int code = -1;
    rapidjson::Document doc = cli.Json("sync p", &code);
    REQUIRE(code == 0);
    const auto& run = OnlyRun(doc);
    CHECK(Str(run, "mode") == "full");
    CHECK(run["files_added"].GetInt64() == kFiles);
    CHECK(Docs(cli) == kFiles);
    CHECK(cli.Text("SELECT commit_id FROM storage_cursors") == head);
    CHECK(cli.Count("SELECT COUNT(*) FROM documents WHERE path = 'f119999.txt' AND content = 'content 0\n'") == 1);
    // The write began before the diff ended: its first progress has no
    // total, its last has the whole.
    CHECK(cli.Text("SELECT payload FROM events WHERE type = 'phase.progress' AND payload LIKE '%\"write\"%' "
                   "ORDER BY id LIMIT 1") == R"({"phase":"write","done":0,"total":0})");
    CHECK(cli.Text("SELECT payload FROM events WHERE type = 'phase.progress' AND payload LIKE '%\"write\"%' "
                   "ORDER BY id DESC LIMIT 1") ==
          R"({"phase":"write","done":20000,"total":20000})");
    CheckRowsFollowTree(cli);
  }
  SECTION("a path named twice after the first 16,384 stores nothing") {
    CommitTree(repo, listing + "100644 blob " + blobs[0] + "\tzz.txt\n100644 blob " + blobs[1] + "\tzz.txt\n",
               "duplicate entry at the end");
    CliResult failed = cli.Run("sync p");
    CHECK(failed.exit_code == 1);
    CHECK_THAT(failed.err, Catch::Contains("\"local-git\" named the path \"zz.txt\" twice"));
    CHECK(Docs(cli) == 0);
    CHECK(cli.Text("SELECT COALESCE(MAX(commit_id), '') FROM storage_cursors").empty());
    CHECK(cli.Text("SELECT outcome FROM sync_runs ORDER BY id DESC LIMIT 1") == "failed");
  }
}

TEST_CASE("files over the content limit keep metadata only") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  repo.Write("small.txt", "tiny\n");
  repo.Write("large.txt", std::string(500, 'a'));
  repo.Commit("first");
  TetherCli cli(dir.path(), R"("max_content_bytes": 100)");
  AddProject(cli, repo);
  REQUIRE(cli.Run("sync p").exit_code == 0);
  CHECK(cli.Count("SELECT COUNT(*) FROM documents WHERE path = 'large.txt' AND content IS NULL AND size = 500") == 1);
  CHECK(cli.Text("SELECT content FROM documents WHERE path = 'small.txt'") == "tiny\n");
}

TEST_CASE("a failure in the middle of the write leaves the old rows and the old cursor") {
  // 10 files: one blob reader; 1500 files: readers in parallel with the writer.
  for (int files : {10, 1500}) {
    DYNAMIC_SECTION(files << " files") {
      TempDir dir;
      GitRepo repo(dir.path() / "repo");
      for (int i = 0; i < files; ++i) repo.Write("f" + std::to_string(i) + ".txt", "v1 " + std::to_string(i) + "\n");
      repo.Commit("first");
      TetherCli cli(dir.path());
      AddProject(cli, repo);
      REQUIRE(cli.Run("sync p").exit_code == 0);
      const std::string cursor = cli.Text("SELECT commit_id FROM storage_cursors");
      EmbedEverything(cli);

      for (int i = 0; i < files; ++i) repo.Write("f" + std::to_string(i) + ".txt", "v2 " + std::to_string(i) + "\n");
      repo.Write("zzz-boom.txt", "the database refuses this one\n");
      repo.Commit("second");
      // A real database failure part-way through the write (after the f*.txt
      // updates, which come first in tree order).
      RefuseInsertOf(cli, "zzz-boom.txt");
      CliResult failed = cli.Run("sync p");
      CHECK(failed.exit_code == 1);
      CHECK_THAT(failed.err, Catch::Contains("injected failure"));
      CHECK(cli.Text("SELECT commit_id FROM storage_cursors") == cursor);
      CHECK(Docs(cli) == files);
      CHECK(cli.Count("SELECT COUNT(*) FROM documents WHERE content LIKE 'v1 %' AND embedding IS NOT NULL") == files);

      REQUIRE_OK(cli.db().Execute(cli.postgres() ? "DROP TRIGGER boom ON documents" : "DROP TRIGGER boom", "drop trigger"));
      REQUIRE(cli.Run("sync p").exit_code == 0);
      CHECK(cli.Count("SELECT COUNT(*) FROM documents WHERE content LIKE 'v2 %' AND embedding IS NULL") == files);
      CHECK(Docs(cli) == files + 1);
    }
  }
}

TEST_CASE("a project held by another run is not synced twice") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  repo.Write("x.txt", "x\n");
  repo.Commit("first");
  TetherCli cli(dir.path());
  AddProject(cli, repo);

  // Another process holds the lease.
  REQUIRE_OK(cli.db().Execute("UPDATE project_syncs SET lease_owner = 'other-host:1', lease_expires_at = 4102444800", "lease"));
  CliResult busy = cli.Run("sync p");
  CHECK(busy.exit_code == 3);
  CHECK_THAT(busy.err, Catch::Contains("already being synced"));
  CHECK(Docs(cli) == 0);
  CHECK(cli.Count("SELECT COUNT(*) FROM sync_runs") == 0);

  // An expired lease (its holder died) is taken over.
  REQUIRE_OK(cli.db().Execute("UPDATE project_syncs SET lease_expires_at = 1", "expire"));
  CHECK(cli.Run("sync p").exit_code == 0);
  CHECK(Docs(cli) == 1);
  CHECK(cli.Count("SELECT COUNT(*) FROM project_syncs WHERE lease_owner IS NULL") == 1);
}

TEST_CASE("two sync processes at once - one syncs and the other says it is already running") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  for (int i = 0; i < 3000; ++i) repo.Write("d" + std::to_string(i % 30) + "/f" + std::to_string(i) + ".txt", std::string(200, 'a' + i % 26) + std::to_string(i));
  repo.Commit("first");
  TetherCli cli(dir.path());
  AddProject(cli, repo);
  CliResult results[2];
  std::thread a([&] { results[0] = cli.Run("sync p"); });
  std::thread b([&] { results[1] = cli.Run("sync p"); });
  a.join();
  b.join();
  INFO(results[0].err << " / " << results[1].err);
  // Either they overlapped (one busy) or ran one after the other (a no-op).
  int ok = 0, busy = 0;
  for (const CliResult& r : results) {
    if (r.exit_code == 0) ++ok;
    if (r.exit_code == 3) ++busy;
  }
  CHECK(ok >= 1);
  CHECK(ok + busy == 2);
  CHECK(Docs(cli) == 3000);
  CHECK(cli.Count("SELECT COUNT(*) FROM sync_runs WHERE outcome = 'succeeded'") == 1);
}

TEST_CASE("a run whose process dies after its write committed is recorded as the success it was") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  repo.Write("a.txt", "a\n");
  repo.Write("b.txt", "b\n");
  repo.Commit("first");
  TetherCli cli(dir.path());
  AddProject(cli, repo);
  REQUIRE(cli.Run("sync p").exit_code == 0);
  repo.Write("a.txt", "a changed\n");
  repo.Write("new.txt", "new\n");
  repo.Remove("b.txt");
  const std::string head = repo.Commit("second");
  const std::string last_run = "SELECT outcome FROM sync_runs ORDER BY id DESC LIMIT 1";

  // The run's own record of its end never happens. On PostgreSQL the
  // statement that would record it waits, and the process is killed in it;
  // SQLite cannot make a statement wait, so there the statement fails.
  if (cli.postgres()) {
    REQUIRE_OK(cli.db().Execute("CREATE FUNCTION hold() RETURNS trigger AS $$ BEGIN PERFORM pg_sleep(600); RETURN NEW; END $$"
                                " LANGUAGE plpgsql", "function"));
    REQUIRE_OK(cli.db().Execute("CREATE TRIGGER hold BEFORE UPDATE ON sync_runs FOR EACH ROW"
                                " WHEN (OLD.outcome = 'running' AND NEW.outcome = 'succeeded') EXECUTE FUNCTION hold()", "trigger"));
    CliResult killed;
    std::thread sync([&] { killed = cli.Run("sync p"); });
    std::string owner;
    for (int i = 0; i < 300 && owner.empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (cli.Count("SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'") == 1) {
        owner = cli.Text("SELECT lease_owner FROM project_syncs");
      }
    }
    REQUIRE_FALSE(owner.empty());
    CHECK(cli.Text("SELECT commit_id FROM storage_cursors") == head);  // the write committed
    const pid_t pid = static_cast<pid_t>(std::stol(owner.substr(owner.find(':') + 1)));
    REQUIRE(kill(pid, SIGKILL) == 0);
    sync.join();
    CHECK(killed.exit_code == 128 + SIGKILL);
    // Its server process would sleep on; end it, so that its update is undone.
    REQUIRE_OK(cli.db().Execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event = 'PgSleep'", "end"));
    for (int i = 0; i < 100 && cli.Count("SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'") > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    REQUIRE_OK(cli.db().Execute("DROP TRIGGER hold ON sync_runs", "drop trigger"));
  } else {
    REQUIRE_OK(cli.db().Execute("CREATE TRIGGER hold BEFORE UPDATE ON sync_runs"
                                " WHEN OLD.outcome = 'running' AND NEW.outcome = 'succeeded'"
                                " BEGIN SELECT RAISE(ABORT, 'the run record is held back'); END", "trigger"));
    CliResult failed = cli.Run("sync p");
    CHECK(failed.exit_code == 1);
    CHECK_THAT(failed.err, Catch::Contains("held back"));
    REQUIRE_OK(cli.db().Execute("DROP TRIGGER hold", "drop trigger"));
  }
  REQUIRE(cli.Text(last_run) == "running");
  REQUIRE(cli.Text("SELECT commit_id FROM storage_cursors") == head);

  // The next run ends the dead one: its data committed, so it succeeded.
  int code = -1;
  auto doc = cli.Json("sync p", &code);
  CHECK(code == 0);
  CHECK(Str(OnlyRun(doc), "mode") == "noop");
  const std::string dead = "(SELECT MAX(id) - 1 FROM sync_runs)";
  CHECK(cli.Text("SELECT outcome FROM sync_runs WHERE id = " + dead) == "succeeded");
  CHECK(cli.Text("SELECT to_commit FROM sync_runs WHERE id = " + dead) == head);
  CHECK(cli.Count("SELECT files_added FROM sync_runs WHERE id = " + dead) == 1);
  CHECK(cli.Count("SELECT files_modified FROM sync_runs WHERE id = " + dead) == 1);
  CHECK(cli.Count("SELECT files_deleted FROM sync_runs WHERE id = " + dead) == 1);
  CHECK_THAT(cli.Text("SELECT error FROM sync_runs WHERE id = " + dead), Catch::Contains("after the write committed"));
  CHECK(Docs(cli) == 2);
}

TEST_CASE("a sync loads libpq only for a PostgreSQL database") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  repo.Write("x.txt", "x\n");
  repo.Commit("first");
  TetherCli cli(dir.path());
  AddProject(cli, repo);
  // The dynamic loader names every library it loads, linked or dlopen'ed.
  ::setenv("LD_DEBUG", "files", 1);
  CliResult synced = cli.Run("sync p");
  ::unsetenv("LD_DEBUG");
  REQUIRE(synced.exit_code == 0);
  const bool libpq = synced.err.find("file=libpq.so") != std::string::npos;
  const bool backend = synced.err.find("file=libsoci_postgresql.so") != std::string::npos;
  CHECK(libpq == cli.postgres());
  CHECK(backend == cli.postgres());
  CHECK(cli.Count("SELECT COUNT(*) FROM documents") == 1);
}

TEST_CASE("events record every phase of a run") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  repo.Write("x.txt", "x\n");
  repo.Commit("first");
  TetherCli cli(dir.path());
  AddProject(cli, repo);
  REQUIRE(cli.Run("sync p").exit_code == 0);
  for (const char* phase : {"discover", "resolve", "diff", "write", "analyze"}) {
    INFO(phase);
    CHECK(cli.Count(std::string("SELECT COUNT(*) FROM events WHERE type = 'phase.finished' AND payload LIKE '%\"") +
                    phase + "\"%'") == 1);
  }
  CHECK(cli.Count("SELECT COUNT(*) FROM events WHERE type = 'phase.progress'") >= 1);
  CHECK(cli.Count("SELECT COUNT(*) FROM events WHERE type = 'run.finished' AND payload LIKE '%succeeded%'") == 1);
}

TEST_CASE("usage and config errors exit 2 with a message that says where") {
  TempDir dir;
  TetherCli cli(dir.path());
  CliResult unknown = cli.Run("sync nobody");
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("nobody"));

  std::ofstream(dir.path() / "broken.json") << "{\n  \"database\": \"sqlite:x.db\",\n  \"plugins\": [,]\n}\n";
  int code = -1;
  tether::testing::RunCommand(ShellQuote(TETHER_BIN) + " --config " +
                                  ShellQuote((dir.path() / "broken.json").string()) + " status 2>" +
                                  ShellQuote((dir.path() / "err.txt").string()),
                              &code);
  CHECK(code == 2);
  std::ifstream err_file(dir.path() / "err.txt");
  std::string err((std::istreambuf_iterator<char>(err_file)), std::istreambuf_iterator<char>());
  CHECK_THAT(err, Catch::Contains("broken.json:3:"));

  CliResult no_args = cli.Run("");
  CHECK(no_args.exit_code == 2);
}

TEST_CASE("every project named is checked before any syncs, and sync --all ends with a summary") {
  TempDir dir;
  GitRepo repo_a(dir.path() / "a"), repo_b(dir.path() / "b"), repo_c(dir.path() / "c");
  for (GitRepo* repo : {&repo_a, &repo_b, &repo_c}) {
    repo->Write("README.md", "# hello\n");
    repo->Commit("first");
  }
  TetherCli cli(dir.path());
  for (auto [name, repo] : {std::pair<const char*, GitRepo*>{"a", &repo_a}, {"b", &repo_b}, {"c", &repo_c}}) {
    CliResult added = cli.Run(std::string("project add ") + name + " --repo " + ShellQuote(repo->url()));
    INFO(added.err);
    REQUIRE(added.exit_code == 0);
  }

  // A typo in the list syncs nothing, and every unknown name is named.
  CliResult typo = cli.Run("sync a nosuch b other");
  CHECK(typo.exit_code == 2);
  CHECK_THAT(typo.err, Catch::Contains("\"nosuch\"") && Catch::Contains("\"other\"") &&
                           Catch::Contains("nothing was synced"));
  CHECK(cli.Count("SELECT COUNT(*) FROM sync_runs") == 0);
  CHECK(Docs(cli) == 0);

  // a synced once already, b new, c disabled.
  REQUIRE(cli.Run("sync a").exit_code == 0);
  REQUIRE(cli.Run("project disable c").exit_code == 0);
  CliResult all = cli.Run("sync --all");
  INFO(all.err);
  CHECK(all.exit_code == 0);
  CHECK_THAT(all.out, Catch::Contains("1 synced, 1 up to date, 0 failed, 0 busy, 1 skipped (disabled)"));

  int code = -1;
  auto doc = cli.Json("sync --all", &code);
  CHECK(code == 0);
  REQUIRE(doc.HasMember("summary"));
  CHECK(doc["summary"]["synced"].GetInt64() == 0);
  CHECK(doc["summary"]["up_to_date"].GetInt64() == 2);
  CHECK(doc["summary"]["disabled"].GetInt64() == 1);
  CHECK(doc["runs"].Size() == 2);

  // A project whose repository is gone fails, and the summary says so.
  std::filesystem::remove_all(repo_b.path());
  CliResult failing = cli.Run("sync --all");
  CHECK(failing.exit_code == 1);
  CHECK_THAT(failing.out, Catch::Contains("0 synced, 1 up to date, 1 failed, 0 busy, 1 skipped (disabled)"));
}

TEST_CASE("on a terminal the progress names every phase and the write's files, and is cleared at the end") {
  TempDir dir;
  GitRepo repo(dir.path() / "repo");
  for (int i = 0; i < 300; ++i) repo.Write("f/" + std::to_string(i) + ".txt", std::string(200, 'x') + std::to_string(i));
  repo.Commit("many");
  TetherCli cli(dir.path());
  AddProject(cli, repo);
  int code = -1;
  const std::string command = ShellQuote(TETHER_BIN) + " --config " + ShellQuote(cli.config().string()) + " sync p";
  const std::string out = tether::testing::RunCommand("script -qec " + ShellQuote(command) + " /dev/null", &code);
  INFO(out);
  CHECK(code == 0);
  for (const char* shown : {"discover...", "diff...", "write [", "300/300 files", "analyze..."}) {
    INFO(shown);
    CHECK_THAT(out, Catch::Contains(shown));
  }
  // The progress line is cleared before the run's summary is printed.
  CHECK_THAT(out, Catch::Contains("\r\x1b[Kp: full sync at "));
  // Not on a terminal: no control sequences at all.
  CliResult plain = cli.Run("sync p");
  CHECK(plain.err.find('\x1b') == std::string::npos);
  CHECK(plain.err.find('\r') == std::string::npos);
}

namespace {

// Polls `condition` every 5 ms for up to `seconds`; returns its last value.
template <typename Fn>
bool Within(int seconds, Fn&& condition) {
  for (int i = 0; i < seconds * 200; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

// Makes every write of a document row slow -- the database doing real work
// per row, no hook in Tether's code -- so that a write of a few thousand
// files lasts seconds, and a signal or a cancel lands in its middle.
void SlowDownDocumentWrites(TetherCli& cli) {
  if (cli.postgres()) {
    REQUIRE_OK(cli.db().Execute("CREATE FUNCTION slow() RETURNS trigger AS $$ BEGIN PERFORM pg_sleep(0.001);"
                                " RETURN NEW; END $$ LANGUAGE plpgsql", "function"));
    REQUIRE_OK(cli.db().Execute("CREATE TRIGGER slow BEFORE INSERT OR UPDATE ON documents FOR EACH ROW"
                                " EXECUTE FUNCTION slow()", "trigger"));
    return;
  }
  REQUIRE_OK(cli.db().Execute("CREATE TABLE slow_n (x INTEGER)", "table"));
  REQUIRE_OK(cli.db().Execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300)"
                              " INSERT INTO slow_n SELECT x FROM c", "rows"));
  for (const char* when : {"INSERT", "UPDATE"}) {
    REQUIRE_OK(cli.db().Execute(std::string("CREATE TRIGGER slow_") + when + " AFTER " + when +
                                    " ON documents BEGIN SELECT COUNT(*) FROM slow_n a, slow_n b; END",
                                "trigger"));
  }
}

void RemoveSlowDown(TetherCli& cli) {
  if (cli.postgres()) {
    REQUIRE_OK(cli.db().Execute("DROP TRIGGER slow ON documents", "drop trigger"));
    return;
  }
  REQUIRE_OK(cli.db().Execute("DROP TRIGGER slow_INSERT", "drop trigger"));
  REQUIRE_OK(cli.db().Execute("DROP TRIGGER slow_UPDATE", "drop trigger"));
}

// A project "p" of `files` files synced at "v1", then every file changed to
// "v2" in a second commit and document writes slowed down: the next sync
// of p rewrites every row, slowly.
struct ChangedProject {
  explicit ChangedProject(int files) : files(files), repo(dir.path() / "repo"), cli(dir.path()) {
    for (int i = 0; i < files; ++i) repo.Write("f" + std::to_string(i) + ".txt", "v1 " + std::to_string(i) + "\n");
    first = repo.Commit("first");
    AddProject(cli, repo);
    REQUIRE(cli.Run("sync p").exit_code == 0);
    REQUIRE(cli.Text("SELECT commit_id FROM storage_cursors") == first);
    for (int i = 0; i < files; ++i) repo.Write("f" + std::to_string(i) + ".txt", "v2 " + std::to_string(i) + "\n");
    second = repo.Commit("second");
    SlowDownDocumentWrites(cli);
  }

  std::string LastRun(const std::string& column) {
    return cli.Text("SELECT " + column + " FROM sync_runs ORDER BY id DESC LIMIT 1");
  }
  long long Rows(const std::string& version) {
    return cli.Count("SELECT COUNT(*) FROM documents WHERE content LIKE '" + version + " %'");
  }
  // Nothing of a cancelled run is visible, its lease is free, and the
  // project is as it was.
  void CheckNothingChanged() {
    CHECK(cli.Text("SELECT commit_id FROM storage_cursors") == first);
    CHECK(Rows("v1") == files);
    CHECK(Rows("v2") == 0);
    CHECK(cli.Count("SELECT COUNT(*) FROM project_syncs WHERE lease_owner IS NULL AND lease_expires_at IS NULL") == 1);
    CHECK(cli.Text("SELECT status FROM project_syncs") == "synced");
    CHECK(LastRun("outcome") == "cancelled");
    CHECK(cli.Count("SELECT files_added + files_modified FROM sync_runs ORDER BY id DESC LIMIT 1") == 0);
    CHECK(cli.Count("SELECT COUNT(*) FROM sync_runs WHERE outcome = 'running'") == 0);
  }
  // The next sync, at once, writes the change.
  void CheckNextSyncWorks() {
    RemoveSlowDown(cli);
    CliResult again = cli.Run("sync p");
    INFO(again.err);
    CHECK(again.exit_code == 0);
    CHECK(Rows("v2") == files);
    CHECK(cli.Text("SELECT commit_id FROM storage_cursors") == second);
    CHECK(LastRun("outcome") == "succeeded");
  }

  const int files;
  TempDir dir;
  GitRepo repo;
  TetherCli cli;
  std::string first, second;
};

bool Writing(const TetherProcess& process) { return process.Err().find("write: 0/") != std::string::npos; }

}  // namespace

TEST_CASE("Ctrl-C or SIGTERM during the write rolls it back, records the run cancelled and frees the lease") {
  for (int signal_number : {SIGINT, SIGTERM}) {
    DYNAMIC_SECTION((signal_number == SIGINT ? "SIGINT exits 130" : "SIGTERM exits 143")) {
      ChangedProject p(3000);
      TetherProcess sync(p.cli, "sync p");
      REQUIRE(Within(60, [&] { return Writing(sync); }));
      const auto signalled = std::chrono::steady_clock::now();
      sync.Signal(signal_number);
      REQUIRE(Within(30, [&] { return p.LastRun("outcome") != "running"; }));
      const auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - signalled);
      WARN("signal to the run recorded cancelled: " << ms.count() << " ms ("
                                                     << (p.cli.postgres() ? "PostgreSQL" : "SQLite") << ")");
      INFO(sync.Err());
      CHECK(sync.Wait() == (signal_number == SIGINT ? 130 : 143));
      const std::string by = signal_number == SIGINT ? "by SIGINT (Ctrl-C)" : "by SIGTERM";
      CHECK_THAT(sync.Err(), Catch::Contains("p: cancelled " + by + " during write; nothing was written"));
      CHECK_THAT(p.LastRun("error"), Catch::Contains("cancelled " + by + " during write"));
      p.CheckNothingChanged();
      // The run ended as an event says, and an operator's check finds
      // nothing wrong.
      CHECK(p.cli.Count("SELECT COUNT(*) FROM events WHERE type = 'run.finished'"
                        " AND payload LIKE '%\"outcome\":\"cancelled\"%'") == 1);
      CHECK(p.cli.Run("verify").exit_code == 0);
      p.CheckNextSyncWorks();
    }
  }
}

TEST_CASE("sync --cancel from a second process stops the run in the first, and only that run") {
  ChangedProject p(3000);
  // Nothing runs: nothing to cancel.
  CliResult idle = p.cli.Run("sync --cancel p");
  CHECK(idle.exit_code == 1);
  CHECK_THAT(idle.err, Catch::Contains("no sync of project \"p\" is running"));
  CHECK(p.cli.Run("sync --cancel nosuch").exit_code == 2);
  CHECK(p.cli.Run("sync --cancel").exit_code == 2);
  CHECK(p.cli.Run("sync --cancel --all").exit_code == 2);

  TetherProcess sync(p.cli, "sync p");
  REQUIRE(Within(60, [&] { return Writing(sync); }));
  const auto asked = std::chrono::steady_clock::now();
  CliResult cancel = p.cli.Run("sync --cancel p");
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - asked);
  WARN("tether sync --cancel (a whole process) returned after " << ms.count() << " ms ("
                                                              << (p.cli.postgres() ? "PostgreSQL" : "SQLite") << ")");
  INFO(cancel.err << sync.Err());
  CHECK(cancel.exit_code == 0);
  const std::string run = std::to_string(p.cli.Count("SELECT MAX(id) FROM sync_runs"));
  CHECK_THAT(cancel.out, Catch::Contains("run " + run + " of p cancelled"));
  // The run's own process says so, and exits as a cancelled sync does.
  CHECK(sync.Wait() == 130);
  CHECK_THAT(sync.Err(), Catch::Contains("cancelled on request"));
  p.CheckNothingChanged();
  // The request is gone with its run: the next run is not stopped by it.
  p.CheckNextSyncWorks();
  CliResult again = p.cli.Run("sync --cancel p");
  CHECK(again.exit_code == 1);
  CHECK(p.cli.Count("SELECT COUNT(*) FROM sync_runs WHERE outcome = 'cancelled'") == 1);
}

TEST_CASE("sync --all -j runs projects at once, each on its own connection, and sums them up as one") {
  TempDir dir;
  TetherCli cli(dir.path());
  cli.Reconfigure("", ",{\"name\": \"gated-provider\", \"kind\": \"provider\", \"path\": \"" GATED_PROVIDER_PATH
                      "\", \"settings\": {\"root\": \"" + dir.path().string() + "\"}}");
  // Three projects whose diffs take about half a second each.
  for (const char* name : {"a", "b", "c"}) {
    std::filesystem::create_directories(dir.path() / name);
    std::ofstream(dir.path() / name / "files") << "10";
    std::ofstream(dir.path() / name / "diff-delay-ms") << "50";
    REQUIRE(cli.Run(std::string("project add ") + name + " --provider gated-provider --repo " + name).exit_code == 0);
  }
  int code = -1;
  rapidjson::Document doc = cli.Json("sync --all -j 3", &code);
  REQUIRE(code == 0);
  REQUIRE(doc["runs"].Size() == 3);
  CHECK(doc["summary"]["synced"].GetInt() == 3);
  for (const auto& run : doc["runs"].GetArray()) CHECK(Str(run, "outcome") == "succeeded");
  CHECK(Docs(cli) == 30);
  // They ran at once: every run started before any other ended.
  const std::string last_start = cli.Text("SELECT MAX(started_at) FROM sync_runs");
  const std::string first_end = cli.Text("SELECT MIN(finished_at) FROM sync_runs");
  CHECK(last_start < first_end);

  CHECK(cli.Run("sync --all -j 0").exit_code == 2);
  CHECK(cli.Run("sync --all -j 65").exit_code == 2);
}

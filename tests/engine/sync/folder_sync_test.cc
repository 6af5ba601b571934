// A provider without git history, written from the SDK alone
// (tests/fixtures/folder-provider: ids are SHA-256 based, not 40 hex
// digits), synced by the real tether binary: a first sync stores the folder
// (with the second blob reader a large change set brings), an unchanged
// folder is a no-op, and after the folder changes the next sync writes
// exactly the change and keeps what was derived from unchanged content.
// On SQLite: what is checked here is the provider contract, not storage.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <soci/soci.h>

#include "engine/cli/cli_harness.h"
#include "engine/db/database.h"
#include "support/status_checks.h"

using tether::testing::RunCommand;
using tether::testing::ShellQuote;
using tether::testing::TempDir;
using tether::testing::TestDatabase;
namespace fs = std::filesystem;

namespace {

void WriteFile(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

struct FolderWorld {
  TempDir dir;
  TestDatabase database{dir.path()};
  fs::path folder = dir.path() / "folder";
  fs::path config = dir.path() / "tether.json";
  std::unique_ptr<tether::db::Database> db;

  FolderWorld() {
    std::ofstream(config) << "{\"database\": \"" << database.url() << "\", \"plugins\": ["
                          << "{\"name\": \"folder\", \"kind\": \"provider\", \"path\": \"" FOLDER_PLUGIN "\"},"
                          << "{\"name\": \"sql-storage\", \"kind\": \"storage\"}]}";
  }

  // `tether --config <config> <args>`: stdout and stderr together.
  std::string Tether(const std::string& args, int* code) const {
    return RunCommand(ShellQuote(TETHER_BIN) + " --config " + ShellQuote(config.string()) + " " + args + " 2>&1",
                      code);
  }

  soci::session& Sql() {
    if (!db) {
      auto opened = tether::db::Database::Open(database.url());
      REQUIRE_OK(opened);
      db = std::move(opened).value();
    }
    return db->session();
  }
  long long Count(const std::string& sql) {
    long long n = -1;
    Sql() << sql, soci::into(n);
    return n;
  }
  std::string Text(const std::string& sql) {
    std::string text;
    soci::indicator ind = soci::i_ok;
    Sql() << sql, soci::into(text, ind);
    return ind == soci::i_null ? "NULL" : text;
  }
};

}  // namespace

TEST_CASE("a folder without history syncs through the SDK's contract alone, first fully then by its change") {
  FolderWorld w;
  // Enough files for the engine's second blob reader (a fresh Repository
  // whose first call is ReadBlob), plus each kind of entry.
  constexpr int kMany = 1100;
  for (int i = 0; i < kMany; ++i) {
    WriteFile(w.folder / ("many/d" + std::to_string(i % 10)) / ("f" + std::to_string(i) + ".txt"),
              "file " + std::to_string(i) + "\n");
  }
  WriteFile(w.folder / "a.txt", "alpha\n");
  WriteFile(w.folder / "src/b.txt", "beta\n");
  WriteFile(w.folder / "run.sh", "#!/bin/sh\necho run\n");
  fs::permissions(w.folder / "run.sh", fs::perms::owner_exec, fs::perm_options::add);
  fs::create_symlink("a.txt", w.folder / "link");
  WriteFile(w.folder / "bin.dat", std::string("\x00\x01\x02\x03", 4));
  const long long files = kMany + 5;

  int code = -1;
  std::string out = w.Tether("migrate apply", &code);
  INFO(out);
  REQUIRE(code == 0);
  out = w.Tether("project add f --provider folder --repo " + ShellQuote(w.folder.string()), &code);
  INFO(out);
  REQUIRE(code == 0);

  // First sync: everything.
  out = w.Tether("sync f", &code);
  INFO(out);
  REQUIRE(code == 0);
  CHECK(w.Count("SELECT COUNT(*) FROM documents") == files);
  CHECK(w.Text("SELECT content FROM documents WHERE path = 'a.txt'") == "alpha\n");
  CHECK(w.Text("SELECT content FROM documents WHERE path = 'many/d7/f1007.txt'") == "file 1007\n");
  CHECK(w.Text("SELECT kind FROM documents WHERE path = 'run.sh'") == "executable");
  CHECK(w.Text("SELECT kind FROM documents WHERE path = 'link'") == "symlink");
  CHECK(w.Count("SELECT COUNT(*) FROM documents WHERE path = 'bin.dat' AND is_binary = 1") == 1);
  CHECK_THAT(w.Text("SELECT blob_sha FROM documents WHERE path = 'a.txt'"), Catch::StartsWith("sha256:"));
  const std::string first = w.Text("SELECT commit_id FROM storage_cursors");
  CHECK_THAT(first, Catch::StartsWith("snap:"));
  CHECK(w.Text("SELECT mode FROM sync_runs ORDER BY id DESC LIMIT 1") == "full");

  // What an analyzer derived from the content.
  w.Sql() << "UPDATE documents SET embedding = X'01'";

  // Nothing changed: nothing to do.
  out = w.Tether("sync f", &code);
  INFO(out);
  CHECK(code == 0);
  CHECK_THAT(out, Catch::Contains("up to date"));
  CHECK(w.Text("SELECT mode FROM sync_runs ORDER BY id DESC LIMIT 1") == "noop");

  // The folder changes: one file edited, one moved, one removed, one new.
  WriteFile(w.folder / "a.txt", "alpha 2\n");
  fs::create_directories(w.folder / "moved");
  fs::rename(w.folder / "src/b.txt", w.folder / "moved/b.txt");
  fs::remove(w.folder / "run.sh");
  WriteFile(w.folder / "new.txt", "new\n");

  out = w.Tether("sync f", &code);
  INFO(out);
  REQUIRE(code == 0);
  const std::string second = w.Text("SELECT commit_id FROM storage_cursors");
  CHECK_THAT(second, Catch::StartsWith("snap:"));
  CHECK(second != first);
  // No history: the whole tree is compared with the stored rows.
  CHECK(w.Text("SELECT mode FROM sync_runs ORDER BY id DESC LIMIT 1") == "force_push");
  CHECK(w.Text("SELECT files_added || ' ' || files_modified || ' ' || files_deleted || ' ' || files_renamed"
               " FROM sync_runs ORDER BY id DESC LIMIT 1") == "1 1 1 1");
  CHECK(w.Count("SELECT COUNT(*) FROM documents") == files);
  CHECK(w.Count("SELECT COUNT(*) FROM documents WHERE path IN ('run.sh', 'src/b.txt')") == 0);
  // Changed content lost what was derived from it; moved and untouched
  // content kept it.
  CHECK(w.Text("SELECT content FROM documents WHERE path = 'a.txt'") == "alpha 2\n");
  CHECK(w.Count("SELECT COUNT(*) FROM documents WHERE path = 'a.txt' AND embedding IS NULL") == 1);
  CHECK(w.Count("SELECT COUNT(*) FROM documents WHERE path = 'moved/b.txt' AND embedding IS NOT NULL") == 1);
  CHECK(w.Count("SELECT COUNT(*) FROM documents WHERE path = 'new.txt' AND embedding IS NULL") == 1);
  CHECK(w.Count("SELECT COUNT(*) FROM documents WHERE path LIKE 'many/%' AND embedding IS NOT NULL") == kMany);
  CHECK(w.Count("SELECT COUNT(*) FROM documents WHERE updated_commit = '" + second + "'") == 3);

  // The stored rows are the folder's tree, by the provider's own listing.
  out = w.Tether("verify --deep", &code);
  INFO(out);
  CHECK(code == 0);
  // Once the folder changes, the synced snapshot is gone: verify says so,
  // and the next sync compares the whole tree again.
  WriteFile(w.folder / "a.txt", "alpha 3\n");
  out = w.Tether("verify", &code);
  INFO(out);
  CHECK(code == 1);
  CHECK_THAT(out, Catch::Contains("no longer has the synced commit " + second));
  out = w.Tether("sync f", &code);
  INFO(out);
  CHECK(code == 0);
  CHECK(w.Text("SELECT content FROM documents WHERE path = 'a.txt'") == "alpha 3\n");
}

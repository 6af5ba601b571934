// shared/sqlite_write_behind.h: write-behind asks writeback through the
// descriptors SQLite has open, never opening (and closing) one of its own:
// closing any descriptor of the database file drops every POSIX lock the
// process holds on it, and another process could then take the file from
// under this one's connections. The transaction it accompanies commits as
// it would without it.
#include <catch2/catch.hpp>
#include <soci/soci.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "shared/sql_connect.h"
#include "shared/sqlite_write_behind.h"
#include "support/git_repo.h"

using tether::testing::RunCommand;
using tether::testing::ShellQuote;
using tether::testing::TempDir;

namespace {

// How many of this process's descriptors are open on `path`.
int DescriptorsOn(const std::filesystem::path& path) {
  int count = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", error)) {
    std::error_code unreadable;  // the iterator's own descriptor is gone by now
    if (std::filesystem::read_symlink(entry.path(), unreadable) == path) ++count;
  }
  return count;
}

// The rows of t as another process (the sqlite3 shell) counts them.
std::string RowsSeenByAnotherProcess(const std::filesystem::path& db) {
  int exit_code = -1;
  std::string out = RunCommand("sqlite3 " + ShellQuote(db.string()) + " 'SELECT COUNT(*) FROM t' 2>&1", &exit_code);
  INFO(out);
  REQUIRE(exit_code == 0);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace

TEST_CASE("write-behind opens no descriptor of its own, and SQLite's locks hold through it") {
  TempDir dir;
  const std::filesystem::path db = dir.path() / "wb.db";
  const std::filesystem::path wal = dir.path() / "wb.db-wal";
  auto session = tether::db::OpenSociSession("sqlite:" + db.string(), 1000);
  REQUIRE(session.ok());
  **session << "CREATE TABLE t (x TEXT)";
  const int db_before = DescriptorsOn(db), wal_before = DescriptorsOn(wal);
  REQUIRE(db_before >= 1);  // the session's own
  REQUIRE(wal_before >= 1);

  auto write_behind = tether::db::StartWriteBehind(**session);
  REQUIRE(write_behind != nullptr);
  **session << "BEGIN IMMEDIATE";
  const std::string row(64 * 1024, 'x');
  for (int i = 0; i < 64; ++i) **session << "INSERT INTO t VALUES (:x)", soci::use(row);
  // Several of its rounds, while the WAL grows.
  for (int i = 0; i < 5; ++i) {
    **session << "INSERT INTO t VALUES (:x)", soci::use(row);
    std::this_thread::sleep_for(std::chrono::milliseconds(2 * tether::db::WriteBehind::kIntervalMs));
  }
  CHECK(DescriptorsOn(db) == db_before);
  CHECK(DescriptorsOn(wal) == wal_before);
  **session << "COMMIT";
  write_behind.reset();
  CHECK(DescriptorsOn(db) == db_before);

  // This process still holds its shared lock on the file: another
  // process's connection, closing, is not the last one, so it leaves the
  // WAL this one writes to, and sees what it writes next.
  CHECK(RowsSeenByAnotherProcess(db) == "69");
  CHECK(std::filesystem::exists(wal));
  **session << "INSERT INTO t VALUES ('after')";
  CHECK(RowsSeenByAnotherProcess(db) == "70");
}

TEST_CASE("a SQLite database without a file gets no write-behind") {
  auto session = tether::db::OpenSociSession("sqlite::memory:", 1000);
  REQUIRE(session.ok());
  **session << "CREATE TABLE t (x TEXT)";
  CHECK(tether::db::StartWriteBehind(**session) == nullptr);
}

// shared/sql_connect.h: how a SQLite session opens its file. A new file is
// made with the engine's page size in WAL mode; a file made before keeps
// the page size it has and is used as it is.
#include <catch2/catch.hpp>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "shared/sql_connect.h"
#include "support/git_repo.h"

using tether::testing::TempDir;

namespace {

std::string Pragma(soci::session& session, const std::string& name) {
  std::string value;
  session << "PRAGMA " + name, soci::into(value);
  return value;
}

}  // namespace

TEST_CASE("a new SQLite file gets the engine's page size, in WAL mode") {
  TempDir dir;
  const std::string url = "sqlite:" + (dir.path() / "new.db").string();
  auto session = tether::db::OpenSociSession(url, 1000);
  REQUIRE(session.ok());
  **session << "CREATE TABLE t (x TEXT)";
  **session << "INSERT INTO t VALUES ('a')";
  CHECK(Pragma(**session, "page_size") == std::to_string(tether::db::kSqlitePageSize));
  CHECK(Pragma(**session, "journal_mode") == "wal");
  CHECK(Pragma(**session, "foreign_keys") == "1");
  // Another session of the same file sees the same pages and the row.
  auto other = tether::db::OpenSociSession(url, 1000);
  REQUIRE(other.ok());
  CHECK(Pragma(**other, "page_size") == std::to_string(tether::db::kSqlitePageSize));
  int rows = 0;
  **other << "SELECT COUNT(*) FROM t", soci::into(rows);
  CHECK(rows == 1);
}

TEST_CASE("a SQLite file made with other pages keeps them, and its rows") {
  TempDir dir;
  const std::string path = (dir.path() / "old.db").string();
  {
    soci::session old(*soci::factory_sqlite3(), "db=\"" + path + "\"");
    old << "PRAGMA page_size = 4096";
    old << "CREATE TABLE t (x TEXT)";
    old << "INSERT INTO t VALUES ('kept')";
  }
  auto session = tether::db::OpenSociSession("sqlite:" + path, 1000);
  REQUIRE(session.ok());
  CHECK(Pragma(**session, "page_size") == "4096");
  CHECK(Pragma(**session, "journal_mode") == "wal");
  **session << "INSERT INTO t VALUES ('new')";
  int rows = 0;
  **session << "SELECT COUNT(*) FROM t WHERE x IN ('kept', 'new')", soci::into(rows);
  CHECK(rows == 2);
}

TEST_CASE("a SQLite session waiting for another's write gets the lock as soon as it is free, and gives up at its timeout") {
  TempDir dir;
  const std::string url = "sqlite:" + (dir.path() / "locks.db").string();
  auto holder = tether::db::OpenSociSession(url, 1000);
  REQUIRE(holder.ok());
  **holder << "CREATE TABLE t (x INTEGER)";

  SECTION("the lock is taken within a few milliseconds of its release") {
    // Held 340 ms: SQLite's own handler sleeps from 328 to 428 ms into a wait.
    auto waiter = tether::db::OpenSociSession(url, 5000);
    REQUIRE(waiter.ok());
    **holder << "BEGIN IMMEDIATE";
    std::chrono::steady_clock::time_point released, taken;
    std::thread wait([&] {
      **waiter << "BEGIN IMMEDIATE";
      taken = std::chrono::steady_clock::now();
      **waiter << "INSERT INTO t VALUES (2)";
      **waiter << "COMMIT";
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(340));
    **holder << "INSERT INTO t VALUES (1)";
    released = std::chrono::steady_clock::now();
    **holder << "COMMIT";
    wait.join();
    const auto lag = std::chrono::duration_cast<std::chrono::milliseconds>(taken - released).count();
    INFO("taken " << lag << " ms after the release");
    CHECK(lag < 50);
    int rows = 0;
    **holder << "SELECT COUNT(*) FROM t", soci::into(rows);
    CHECK(rows == 2);
  }

  SECTION("a wait longer than the timeout fails as busy, and writes nothing") {
    auto waiter = tether::db::OpenSociSession(url, 300);
    REQUIRE(waiter.ok());
    **holder << "BEGIN IMMEDIATE";
    const auto start = std::chrono::steady_clock::now();
    tether::Status status;
    try {
      **waiter << "INSERT INTO t VALUES (3)";
    } catch (...) {
      status = tether::db::StatusFromCurrentException("insert");
    }
    const auto waited =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    **holder << "COMMIT";
    CHECK(status.code() == tether::StatusCode::kUnavailable);
    CHECK(waited >= 300);
    CHECK(waited < 3000);
    int rows = 0;
    **holder << "SELECT COUNT(*) FROM t", soci::into(rows);
    CHECK(rows == 0);
  }
}

TEST_CASE("a SQLite WAL file grown by a large write shrinks back once checkpointed") {
  TempDir dir;
  const std::string path = (dir.path() / "wal.db").string();
  auto session = tether::db::OpenSociSession("sqlite:" + path, 1000);
  REQUIRE(session.ok());
  **session << "CREATE TABLE t (x BLOB)";
  // One transaction of more than the kept size: the WAL holds all of it.
  const long long rows = tether::db::kSqliteWalKeepBytes / (1 << 20) + 16;
  **session << "BEGIN";
  for (long long i = 0; i < rows; ++i) **session << "INSERT INTO t VALUES (randomblob(1048576))";
  **session << "COMMIT";
  const auto wal_size = [&] { return static_cast<long long>(std::filesystem::file_size(path + "-wal")); };
  CHECK(wal_size() > tether::db::kSqliteWalKeepBytes);
  // The checkpoint copies it into the database; the next write starts the
  // WAL over and cuts the file to the kept size.
  **session << "PRAGMA wal_checkpoint(PASSIVE)";
  **session << "INSERT INTO t VALUES (x'01')";
  CHECK(wal_size() <= tether::db::kSqliteWalKeepBytes);
  long long count = 0;
  **session << "SELECT COUNT(*) FROM t", soci::into(count);
  CHECK(count == rows + 1);
}

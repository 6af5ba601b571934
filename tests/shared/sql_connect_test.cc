// shared/sql_connect.h: how a SQLite session opens its file. A new file is
// made with the engine's page size in WAL mode; a file made before keeps
// the page size it has and is used as it is.
#include <catch2/catch.hpp>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <string>

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

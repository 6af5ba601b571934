// shared/sqlite_write_behind.h: while a WriteBehind lives, its thread holds
// descriptors of the database file and of the WAL (it asks the kernel to
// write them out through those); it lets them go when destroyed, and the
// transaction it accompanies commits as it would without it.
#include <catch2/catch.hpp>
#include <soci/soci.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "shared/sql_connect.h"
#include "shared/sqlite_write_behind.h"
#include "support/git_repo.h"

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

// Waits up to 10 s for `done`.
template <typename Done>
bool WaitFor(Done done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

}  // namespace

TEST_CASE("write-behind watches a SQLite file and its WAL while it lives, then lets them go") {
  TempDir dir;
  const std::filesystem::path db = dir.path() / "wb.db";
  const std::filesystem::path wal = dir.path() / "wb.db-wal";
  auto session = tether::db::OpenSociSession("sqlite:" + db.string(), 1000);
  REQUIRE(session.ok());
  **session << "CREATE TABLE t (x TEXT)";
  const int db_before = DescriptorsOn(db), wal_before = DescriptorsOn(wal);
  REQUIRE(db_before >= 1);  // the session's own

  auto write_behind = tether::db::StartWriteBehind(**session);
  REQUIRE(write_behind != nullptr);
  **session << "BEGIN IMMEDIATE";
  const std::string row(64 * 1024, 'x');
  for (int i = 0; i < 64; ++i) **session << "INSERT INTO t VALUES (:x)", soci::use(row);
  CHECK(WaitFor([&] { return DescriptorsOn(db) == db_before + 1 && DescriptorsOn(wal) == wal_before + 1; }));
  **session << "COMMIT";
  write_behind.reset();
  CHECK(DescriptorsOn(db) == db_before);
  CHECK(DescriptorsOn(wal) == wal_before);

  auto other = tether::db::OpenSociSession("sqlite:" + db.string(), 1000);
  REQUIRE(other.ok());
  long long bytes = 0;
  **other << "SELECT SUM(LENGTH(x)) FROM t", soci::into(bytes);
  CHECK(bytes == 64ll * 64 * 1024);
}

TEST_CASE("a SQLite database without a file gets no write-behind") {
  auto session = tether::db::OpenSociSession("sqlite::memory:", 1000);
  REQUIRE(session.ok());
  **session << "CREATE TABLE t (x TEXT)";
  CHECK(tether::db::StartWriteBehind(**session) == nullptr);
}

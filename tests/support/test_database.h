// The database a test runs against: SQLite (a file in the test's temporary
// directory) by default, or a fresh database on the throwaway PostgreSQL
// cluster when the test runs with TETHER_TEST_PG_DIR set (CTest registers
// every database test both ways; see tests/CMakeLists.txt). The PostgreSQL
// cluster is started once per CTest run by tests/support/pg_cluster.sh, which
// writes its URL to $TETHER_TEST_PG_DIR/url.
#ifndef TETHER_TESTS_SUPPORT_TEST_DATABASE_H_
#define TETHER_TESTS_SUPPORT_TEST_DATABASE_H_

#include <filesystem>
#include <string>

#include "shared/sql_connect.h"

namespace tether::testing {

// True when the tests run against PostgreSQL.
bool TestingPostgres();

// A SQLite query counting the documents that sql-storage's text index
// (FTS5 trigrams, no positions: migration 0020) says hold every
// 3-character sequence of `text` (ASCII without '"' or '\'', 3 or more
// characters).
std::string CountIndexedSql(const std::string& text);

class TestDatabase {
 public:
  // A new, empty database; for SQLite, the file `dir`/tether.db.
  explicit TestDatabase(const std::filesystem::path& dir);
  ~TestDatabase();  // drops a PostgreSQL database
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& url() const { return url_; }
  db::Dialect dialect() const { return TestingPostgres() ? db::Dialect::kPostgres : db::Dialect::kSqlite; }

 private:
  std::string url_;
  std::string pg_name_;  // empty for SQLite
};

}  // namespace tether::testing

#endif  // TETHER_TESTS_SUPPORT_TEST_DATABASE_H_

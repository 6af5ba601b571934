// The engine's PostgreSQL sessions against a real server: a session frozen
// inside a transaction (a stopped worker) loses the transaction and its row
// locks after Database::kIdleInTransactionMs, so that a writer of those
// rows waits that long and no longer; the frozen session then says it is
// unusable, and its next statement fails as Unavailable. A URL's own
// options win over the engine's limits.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include <soci/soci.h>

#include "engine/db/database.h"
#include "support/git_repo.h"
#include "support/status_checks.h"
#include "support/test_database.h"

using tether::db::Database;
using tether::testing::TempDir;
using tether::testing::TestDatabase;

namespace {

std::unique_ptr<Database> Open(const std::string& url) {
  auto db = Database::Open(url);
  REQUIRE(db.ok());
  return std::move(db).value();
}

std::string Show(Database& db, const std::string& setting) {
  std::string value;
  db.session() << "SHOW " + setting, soci::into(value);
  return value;
}

}  // namespace

TEST_CASE("a session frozen in a transaction loses its locks after the idle limit, and says so") {
  TempDir dir;
  TestDatabase database(dir.path());
  std::unique_ptr<Database> frozen = Open(database.url()), writer = Open(database.url());
  REQUIRE_OK(writer->Execute("CREATE TABLE held (id INTEGER PRIMARY KEY, requests INTEGER NOT NULL)", "create"));
  REQUIRE_OK(writer->Execute("INSERT INTO held VALUES (1, 0)", "insert"));

  // A worker stopped right after locking the row, as in a claim.
  REQUIRE_OK(frozen->Execute("BEGIN", "begin"));
  REQUIRE_OK(frozen->Execute("SELECT requests FROM held WHERE id = 1 FOR UPDATE", "lock"));
  REQUIRE(frozen->Usable());

  const auto started = std::chrono::steady_clock::now();
  REQUIRE_OK(writer->Execute("UPDATE held SET requests = requests + 1 WHERE id = 1", "request"));
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  INFO("the request waited " << waited << " s");
  // It waited for the frozen session's limit (the lock was real), then got
  // the row; the server's timer fires about on time.
  const double limit = Database::kIdleInTransactionMs / 1000.0;
  CHECK(waited >= limit - 0.5);
  CHECK(waited < limit + 5);

  // The frozen session's transaction is gone, and its connection with it:
  // its next statements fail as Unavailable (worth trying again on a new
  // connection), and it says it is unusable.
  tether::Status next = frozen->Execute("UPDATE held SET requests = 100 WHERE id = 1", "write after the freeze");
  INFO(next.ToString());
  CHECK(next.code() == tether::StatusCode::kUnavailable);
  tether::Status again_on_it = frozen->Execute("SELECT 1", "a read after that");
  INFO(again_on_it.ToString());
  CHECK(again_on_it.code() == tether::StatusCode::kUnavailable);
  CHECK_FALSE(frozen->Usable());
  int requests = -1;
  writer->session() << "SELECT requests FROM held WHERE id = 1", soci::into(requests);
  CHECK(requests == 1);
  // A new session works.
  std::unique_ptr<Database> again = Open(database.url());
  CHECK(again->Usable());
}

TEST_CASE("engine and storage sessions get their idle limits, and a URL's own options win over them") {
  TempDir dir;
  TestDatabase database(dir.path());
  std::unique_ptr<Database> engine = Open(database.url());
  CHECK(Show(*engine, "idle_in_transaction_session_timeout") ==
        std::to_string(Database::kIdleInTransactionMs / 1000) + "s");
  // A startup option: RESET returns to it, not to the server's default.
  REQUIRE_OK(engine->Execute("SET idle_in_transaction_session_timeout = 0", "set"));
  REQUIRE_OK(engine->Execute("RESET idle_in_transaction_session_timeout", "reset"));
  CHECK(Show(*engine, "idle_in_transaction_session_timeout") ==
        std::to_string(Database::kIdleInTransactionMs / 1000) + "s");

  auto storage = tether::db::OpenSociSession(database.url(), 1000);
  REQUIRE(storage.ok());
  std::string value;
  **storage << "SHOW idle_in_transaction_session_timeout", soci::into(value);
  CHECK(value == std::to_string(tether::db::kPostgresIdleInTransactionMs / 1000) + "s");

  // The URL's options come after the engine's, so they win; other options
  // in them are kept.
  const std::string separator = database.url().find('?') == std::string::npos ? "?" : "&";
  std::unique_ptr<Database> own = Open(database.url() + separator +
                                       "options=-c%20idle_in_transaction_session_timeout%3D1234"
                                       "%20-c%20application_name%3Dtether-test");
  CHECK(Show(*own, "idle_in_transaction_session_timeout") == "1234ms");
  CHECK(Show(*own, "application_name") == "tether-test");
}

// Database: one connection to the engine's database through SOCI, SQLite
// (the embedded default, "sqlite:PATH") or PostgreSQL ("postgresql://...").
//
// Ownership: a Database owns its soci::session. Thread safety: none; use one
// Database per thread (they are cheap to open on SQLite).
//
// Errors: InvalidArgument for a URL that is not understood, Unavailable when
// the database cannot be reached or opened. Messages never contain the
// password of a URL.
#ifndef TETHER_ENGINE_DB_DATABASE_H_
#define TETHER_ENGINE_DB_DATABASE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "shared/sql_connect.h"
#include "tether/status.h"

namespace tether::db {

class Database {
 public:
  // How long the engine's PostgreSQL sessions may sit idle in a transaction
  // before the server ends them (shared/sql_connect.h). Shorter than a
  // storage's: the engine's transactions wait on nothing but the database,
  // and they lock the project rows that webhooks and API requests write (a
  // frozen worker holding one would hold up every request for that project;
  // a GitHub delivery gives up after 10 s).
  static constexpr int kIdleInTransactionMs = 5000;

  // Opens (for SQLite: creates) the database at `url`. SQLite connections run
  // in WAL mode with foreign keys on and a busy timeout of `busy_timeout_ms`.
  static Result<std::unique_ptr<Database>> Open(const std::string& url, int busy_timeout_ms = 30000);

  // Whether the connection still works (SessionUsable: no round trip; false
  // after the server ended the session or a statement found it broken);
  // always true on SQLite.
  bool Usable();
  ~Database();

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  soci::session& session() { return *session_; }
  Dialect dialect() const { return dialect_; }
  const std::string& url() const { return url_; }

  // Runs `fn` in a transaction; commits when it returns OK, rolls back
  // otherwise (and when it throws: the exception becomes an Internal status).
  // On SQLite the transaction starts with BEGIN IMMEDIATE, so that it takes
  // the write lock at once instead of failing half-way. Called inside `fn`
  // of another InTransaction, it joins that transaction: `fn` runs, and the
  // outermost call commits or rolls back everything.
  template <typename Fn>
  Status InTransaction(Fn&& fn);

  // Runs one SQL statement; exceptions become a Status naming `what`.
  Status Execute(const std::string& sql, const std::string& what);

  // The tables of the database (of the current schema on PostgreSQL), by
  // name, from its catalog: the engine's and its storage plugins' alike.
  Result<std::vector<std::string>> TableNames();
  // The number of rows of `table`, one of TableNames().
  Result<int64_t> CountRows(const std::string& table);

 private:
  Database(std::unique_ptr<soci::session> session, Dialect dialect, std::string url);
  Status Begin();
  Status Commit();
  void Rollback();

  std::unique_ptr<soci::session> session_;
  Dialect dialect_;
  std::string url_;
  bool in_transaction_ = false;  // inside InTransaction's fn
};

template <typename Fn>
Status Database::InTransaction(Fn&& fn) {
  if (in_transaction_) return fn();
  TETHER_RETURN_IF_ERROR(Begin());
  in_transaction_ = true;
  Status status;
  try {
    status = fn();
  } catch (...) {
    status = StatusFromCurrentException("transaction failed");
  }
  in_transaction_ = false;
  if (!status.ok()) {
    Rollback();
    return status;
  }
  return Commit();
}

}  // namespace tether::db

#endif  // TETHER_ENGINE_DB_DATABASE_H_

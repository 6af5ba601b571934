// Connecting to the engine's database through SOCI, from a database URL:
// "sqlite:PATH" or "postgresql://user:password@host:port/dbname?options".
// Shared by the engine and the bundled sql-storage plugin, so that both open
// the database the same way.
//
// Thread safety: pure functions. Errors: InvalidArgument for a URL that is
// not understood, Unavailable when the database cannot be reached. Messages
// never contain a password.
#ifndef TETHER_SHARED_SQL_CONNECT_H_
#define TETHER_SHARED_SQL_CONNECT_H_

#include <memory>
#include <string>

#include "tether/status.h"

namespace soci {
class session;
}

namespace tether::db {

enum class Dialect { kSqlite, kPostgres };

// "sqlite", "postgres": also the name of the dialect's migrations folder.
const char* DialectName(Dialect dialect);

Result<Dialect> DialectOfUrl(const std::string& url);

// `url` with any password replaced by "***", for messages and logs.
std::string RedactUrl(const std::string& url);

// The page size of a SQLite file this engine creates. A file made before
// keeps the size it has.
inline constexpr int kSqlitePageSize = 16384;

// What a SQLite WAL file keeps of its size once a checkpoint has emptied
// it: a first sync's transaction grows it to the size of what it wrote.
inline constexpr long long kSqliteWalKeepBytes = 64ll << 20;

// How long a PostgreSQL session may sit idle inside an open transaction
// before the server ends the session, and the transaction with its locks.
// A client frozen or cut off mid-transaction (a stopped VM, a long pause,
// a partition) would otherwise hold its row locks until TCP gives up on
// it, hours later, and every writer of those rows would wait as long.
// Longer than any pause between the statements of a storage write (the
// engine reads the next file from git between them).
inline constexpr int kPostgresIdleInTransactionMs = 30000;

// Opens a session. SQLite sessions run in WAL mode with foreign keys on; a
// session waiting for another's lock tries again every few milliseconds
// for up to `busy_timeout_ms`; a new file gets kSqlitePageSize. PostgreSQL
// sessions end a transaction left idle for `idle_in_transaction_ms`, give
// up a connect after 10 s and notice a vanished server within a minute
// (unless the URL says otherwise: its keywords and `options` win).
Result<std::unique_ptr<soci::session>> OpenSociSession(const std::string& url, int busy_timeout_ms,
                                                       int idle_in_transaction_ms = kPostgresIdleInTransactionMs);

// Whether `session` still works, without a round trip: on PostgreSQL false
// once a statement found the connection broken or the server has ended the
// session (it says so on the socket); true on SQLite. A server that
// vanished without a word is found by the next statement, which fails.
bool SessionUsable(soci::session& session);

// Turns the exception being handled into a Status whose message starts with
// `what`: Unavailable for a busy or locked database, a lock wait that timed
// out and a lost connection (worth trying again, on a new connection),
// Internal otherwise.
// Call only inside a catch block.
Status StatusFromCurrentException(const std::string& what);

}  // namespace tether::db

#endif  // TETHER_SHARED_SQL_CONNECT_H_

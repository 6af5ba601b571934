#include "shared/sql_connect.h"

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdint>
#include <exception>
#include <thread>
#include <vector>

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include "shared/libpq.h"

namespace tether::db {
namespace {

// SQLite's own busy handler sleeps up to 100 ms between tries, so a
// connection waiting out another's write (the event writer while a sync
// writes) went on sleeping up to 100 ms after the lock was free, and a
// process waiting for it with it. This one tries again every millisecond
// for the first second of a wait, then every 10 ms, until `context` (the
// timeout in ms) has passed. A connection is used by one thread at a time,
// so the start of the wait is that thread's.
int WaitForLock(void* context, int tries) {
  thread_local std::chrono::steady_clock::time_point started;
  const auto now = std::chrono::steady_clock::now();
  if (tries == 0) started = now;
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - started);
  if (waited.count() >= reinterpret_cast<intptr_t>(context)) return 0;
  std::this_thread::sleep_for(std::chrono::milliseconds(waited.count() < 1000 ? 1 : 10));
  return 1;
}

// A libpq notice processor that drops what it is given.
void Quiet(void*, const char*) {}

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// Quotes a conninfo value: single quotes around it, ' and \ escaped.
std::string ConninfoValue(const std::string& value) {
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

// SOCI hands its connect string to libpq after rewriting parts of it, which
// breaks URIs; a keyword=value string goes through as it is. libpq's own
// parser reads the URI (percent-encoding, query options and all). What the
// URL (or libpq's environment variables) leaves out gets this engine's
// defaults: a 10 s connect timeout (a host that drops packets otherwise
// holds a connect for minutes), TCP keepalives that notice a vanished
// server within a minute (not two hours), and `idle_ms` as the server's
// idle_in_transaction_session_timeout. That one is a startup option ahead
// of the URL's own `options`, so that the URL's wins and RESET returns to
// it.
Result<std::string> PostgresConninfo(const std::string& url, int idle_ms) {
  Result<const LibPq*> pq = LoadLibPq();
  if (!pq.ok()) return pq.status();
  char* error = nullptr;
  PQconninfoOption* options = (*pq)->conninfo_parse(url.c_str(), &error);
  if (options == nullptr) {
    std::string message = error != nullptr ? error : "cannot parse";
    if (error != nullptr) (*pq)->freemem(error);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    return Status::InvalidArgument("database URL \"" + RedactUrl(url) + "\": " + message);
  }
  struct Default {
    const char* keyword;
    const char* environment;  // libpq's variable for it
    const char* value;
  };
  const Default defaults[] = {{"connect_timeout", "PGCONNECT_TIMEOUT", "10"},
                              {"keepalives_idle", nullptr, "30"},
                              {"keepalives_interval", nullptr, "10"},
                              {"keepalives_count", nullptr, "3"}};
  std::string conninfo, startup_options;
  const char* environment_options = std::getenv("PGOPTIONS");
  if (environment_options != nullptr) startup_options = environment_options;
  std::vector<std::string> given;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || o->val[0] == '\0') continue;
    given.push_back(o->keyword);
    if (std::string(o->keyword) == "options") {
      startup_options = o->val;
      continue;
    }
    conninfo += std::string(conninfo.empty() ? "" : " ") + o->keyword + "=" + ConninfoValue(o->val);
  }
  (*pq)->conninfo_free(options);
  for (const Default& d : defaults) {
    if (std::find(given.begin(), given.end(), d.keyword) != given.end()) continue;
    if (d.environment != nullptr && std::getenv(d.environment) != nullptr) continue;
    conninfo += std::string(" ") + d.keyword + "=" + d.value;
  }
  std::string limits = "-c idle_in_transaction_session_timeout=" + std::to_string(idle_ms);
  conninfo += " options=" + ConninfoValue(startup_options.empty() ? limits : limits + " " + startup_options);
  return conninfo;
}

// Whether a PostgreSQL error means the connection is gone or a lock wait
// gave up: worth trying again, on a new connection for the former.
bool IsTransient(const std::string& message) {
  for (const char* sign : {"lock timeout", "terminating connection", "server closed the connection",
                           "no connection to the server", "could not receive data from server",
                           "could not send data to server", "connection has been closed", "Connection failed"}) {
    if (message.find(sign) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

const char* DialectName(Dialect dialect) { return dialect == Dialect::kSqlite ? "sqlite" : "postgres"; }

Result<Dialect> DialectOfUrl(const std::string& url) {
  if (StartsWith(url, "sqlite:")) return Dialect::kSqlite;
  if (StartsWith(url, "postgresql://") || StartsWith(url, "postgres://")) return Dialect::kPostgres;
  return Status::InvalidArgument("database URL \"" + RedactUrl(url) + "\" is neither sqlite:PATH nor postgresql://...");
}

std::string RedactUrl(const std::string& url) {
  // scheme://user:password@host/... -> scheme://user:***@host/...
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  size_t at = url.find('@', scheme + 3);
  if (at == std::string::npos) return url;
  size_t colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

Status StatusFromCurrentException(const std::string& what) {
  try {
    throw;
  } catch (const soci::soci_error& e) {
    std::string message = e.get_error_message();
    if (message.empty()) message = e.what();
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    bool busy = message.find("locked") != std::string::npos || message.find("busy") != std::string::npos ||
                IsTransient(message);
    return busy ? Status::Unavailable(what + ": " + message) : Status::Internal(what + ": " + message);
  } catch (const std::exception& e) {
    return Status::Internal(what + ": " + e.what());
  } catch (...) {
    return Status::Internal(what + ": unknown error");
  }
}

bool SessionUsable(soci::session& session) {
  PGconn* conn = PostgresConnection(session);
  if (conn == nullptr) return true;  // SQLite: a file, nothing to lose
  Result<const LibPq*> loaded = LoadLibPq();
  if (!loaded.ok()) return false;
  const LibPq& pq = **loaded;
  if (pq.status(conn) != CONNECTION_OK) return false;  // a statement found it broken
  // Without a round trip: a server that ends a session (a restart, an idle
  // transaction cut off, an administrator) says so and closes the socket.
  // An idle session is sent nothing it did not ask for (these sessions do
  // not LISTEN, and take no notices: client_min_messages), so a readable
  // socket is that goodbye.
  pollfd fd = {pq.socket(conn), POLLIN, 0};
  return fd.fd >= 0 && poll(&fd, 1, 0) == 0;
}

Result<std::unique_ptr<soci::session>> OpenSociSession(const std::string& url, int busy_timeout_ms,
                                                       int idle_in_transaction_ms) {
  Result<Dialect> dialect = DialectOfUrl(url);
  if (!dialect.ok()) return dialect.status();
  auto session = std::make_unique<soci::session>();
  try {
    if (*dialect == Dialect::kSqlite) {
      std::string path = url.substr(7);
      if (path.empty()) return Status::InvalidArgument("database URL \"sqlite:\" names no file");
      session->open(*soci::factory_sqlite3(), "db=\"" + path + "\"");
      auto* backend = static_cast<soci::sqlite3_session_backend*>(session->get_backend());
      sqlite_api::sqlite3_busy_handler(backend->conn_, &WaitForLock,
                                       reinterpret_cast<void*>(static_cast<intptr_t>(busy_timeout_ms)));
      // A new file gets 16 KiB pages (before WAL mode writes its header;
      // an existing file keeps its own). A synced file's row holds its
      // content, a few KB: 4 KiB pages fit one such row each and left a
      // quarter of a first sync's pages empty, and every page costs a WAL
      // frame and a checkpoint copy (issue 15). Larger pages write faster
      // still (64 KiB: 0.2 s less for 100,000 files) but every small
      // commit writes whole pages: a no-op sync took 9 ms more at 64 KiB,
      // 2 ms more at 16 KiB, than at 4 KiB.
      *session << "PRAGMA page_size = " + std::to_string(kSqlitePageSize);
      *session << "PRAGMA journal_mode = WAL";
      *session << "PRAGMA synchronous = NORMAL";
      // Without a limit the WAL file stays as large as the largest
      // transaction ever written (2.6 GB after a first sync of 1,000,000
      // files) for as long as any connection is open, as in `serve`.
      *session << "PRAGMA journal_size_limit = " + std::to_string(kSqliteWalKeepBytes);
      *session << "PRAGMA foreign_keys = ON";
      return session;
    }
    Result<std::string> conninfo = PostgresConninfo(url, idle_in_transaction_ms);
    if (!conninfo.ok()) return conninfo.status();
    // SOCI loads its PostgreSQL backend by name, at the first such session
    // of the process (shared/libpq.h).
    session->open("postgresql", *conninfo);
    // NOTICEs ("relation already exists, skipping") would go to stderr.
    *session << "SET client_min_messages = WARNING";
    // So would a FATAL the server sends to an idle connection before it
    // ends it ("terminating connection due to administrator command"),
    // unformatted: the next statement's error says it, in the log's format.
    Result<const LibPq*> pq = LoadLibPq();
    if (pq.ok()) (*pq)->set_notice_processor(PostgresConnection(*session), &Quiet, nullptr);
  } catch (...) {
    // libpq's messages name host and port, never the password.
    Status status = StatusFromCurrentException("cannot open database " + RedactUrl(url));
    return Status::Unavailable(status.message());
  }
  return session;
}

}  // namespace tether::db

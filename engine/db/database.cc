#include "engine/db/database.h"

#include <exception>
#include <utility>

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

namespace tether::db {
namespace {

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

const char* DialectName(Dialect dialect) {
  return dialect == Dialect::kSqlite ? "sqlite" : "postgres";
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
    bool busy = message.find("locked") != std::string::npos || message.find("busy") != std::string::npos;
    return busy ? Status::Unavailable(what + ": " + message) : Status::Internal(what + ": " + message);
  } catch (const std::exception& e) {
    return Status::Internal(what + ": " + e.what());
  } catch (...) {
    return Status::Internal(what + ": unknown error");
  }
}

Database::Database(std::unique_ptr<soci::session> session, Dialect dialect, std::string url)
    : session_(std::move(session)), dialect_(dialect), url_(std::move(url)) {}

Database::~Database() = default;

Result<std::unique_ptr<Database>> Database::Open(const std::string& url, int busy_timeout_ms) {
  auto session = std::make_unique<soci::session>();
  Dialect dialect;
  try {
    if (StartsWith(url, "sqlite:")) {
      dialect = Dialect::kSqlite;
      std::string path = url.substr(7);
      if (path.empty()) return Status::InvalidArgument("database URL \"sqlite:\" names no file");
      int timeout_s = busy_timeout_ms / 1000 > 0 ? busy_timeout_ms / 1000 : 1;
      session->open(*soci::factory_sqlite3(),
                    "db=\"" + path + "\" timeout=" + std::to_string(timeout_s));
      *session << "PRAGMA busy_timeout = " + std::to_string(busy_timeout_ms);
      *session << "PRAGMA journal_mode = WAL";
      *session << "PRAGMA synchronous = NORMAL";
      *session << "PRAGMA foreign_keys = ON";
    } else if (StartsWith(url, "postgresql://") || StartsWith(url, "postgres://")) {
      dialect = Dialect::kPostgres;
      session->open(*soci::factory_postgresql(), url);
    } else {
      return Status::InvalidArgument("database URL \"" + RedactUrl(url) +
                                     "\" is neither sqlite:PATH nor postgresql://...");
    }
  } catch (...) {
    Status status = StatusFromCurrentException("cannot open database " + RedactUrl(url));
    return Status::Unavailable(status.message());
  }
  return std::unique_ptr<Database>(new Database(std::move(session), dialect, url));
}

Status Database::Execute(const std::string& sql, const std::string& what) {
  try {
    *session_ << sql;
  } catch (...) {
    return StatusFromCurrentException(what);
  }
  return Status::Ok();
}

Status Database::Begin() {
  return Execute(dialect_ == Dialect::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN", "cannot begin a transaction");
}

Status Database::Commit() { return Execute("COMMIT", "cannot commit"); }

void Database::Rollback() {
  try {
    *session_ << "ROLLBACK";
  } catch (...) {
    // The transaction may already be gone (a failed COMMIT rolls back on
    // its own); nothing else to undo.
  }
}

}  // namespace tether::db

#include "sql_connection.h"

#include <chrono>
#include <cstdio>
#include <ctime>

#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>

namespace tether::sql_storage {

Result<Dialect> DialectOf(const std::string& url) {
  if (url.rfind("sqlite:", 0) == 0) return Dialect::kSqlite;
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) return Dialect::kPostgres;
  return Status::InvalidArgument("sql-storage: unsupported database URL scheme");
}

Status CurrentExceptionStatus(const std::string& what) {
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

Result<std::unique_ptr<soci::session>> OpenSession(const std::string& url) {
  Result<Dialect> dialect = DialectOf(url);
  if (!dialect.ok()) return dialect.status();
  auto session = std::make_unique<soci::session>();
  try {
    if (*dialect == Dialect::kSqlite) {
      session->open(*soci::factory_sqlite3(), "db=\"" + url.substr(7) + "\" timeout=30");
      *session << "PRAGMA busy_timeout = 30000";
      *session << "PRAGMA journal_mode = WAL";
      *session << "PRAGMA synchronous = NORMAL";
      *session << "PRAGMA foreign_keys = ON";
    } else {
      session->open(*soci::factory_postgresql(), url);
    }
  } catch (...) {
    // The URL may hold a password: the message names only the dialect.
    Status status = CurrentExceptionStatus("sql-storage: cannot open the database");
    return Status::Unavailable(status.message());
  }
  return session;
}

std::string NowIso8601() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  int millis = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[80];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

}  // namespace tether::sql_storage

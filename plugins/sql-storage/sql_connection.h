// Opening SOCI sessions for the sql-storage plugin from the engine's
// database URL ("sqlite:PATH" or "postgresql://...").
#ifndef TETHER_PLUGINS_SQL_STORAGE_SQL_CONNECTION_H_
#define TETHER_PLUGINS_SQL_STORAGE_SQL_CONNECTION_H_

#include <memory>
#include <string>

#include <soci/soci.h>

#include "tether/status.h"

namespace tether::sql_storage {

enum class Dialect { kSqlite, kPostgres };

Result<Dialect> DialectOf(const std::string& url);

// Opens a session; SQLite sessions get WAL, a busy timeout and foreign keys.
Result<std::unique_ptr<soci::session>> OpenSession(const std::string& url);

// Turns the exception being handled into a Status starting with `what`.
// Call only inside a catch block.
Status CurrentExceptionStatus(const std::string& what);

// Now as UTC ISO-8601 with milliseconds.
std::string NowIso8601();

}  // namespace tether::sql_storage

#endif  // TETHER_PLUGINS_SQL_STORAGE_SQL_CONNECTION_H_

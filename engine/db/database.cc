#include "engine/db/database.h"

#include <exception>
#include <utility>

#include <soci/soci.h>

namespace tether::db {

Database::Database(std::unique_ptr<soci::session> session, Dialect dialect, std::string url)
    : session_(std::move(session)), dialect_(dialect), url_(std::move(url)) {}

Database::~Database() = default;

Result<std::unique_ptr<Database>> Database::Open(const std::string& url, int busy_timeout_ms) {
  Result<Dialect> dialect = DialectOfUrl(url);
  if (!dialect.ok()) return dialect.status();
  Result<std::unique_ptr<soci::session>> session = OpenSociSession(url, busy_timeout_ms, kIdleInTransactionMs);
  if (!session.ok()) return session.status();
  return std::unique_ptr<Database>(new Database(std::move(session).value(), *dialect, url));
}

bool Database::Usable() { return SessionUsable(*session_); }

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

Result<std::vector<std::string>> Database::TableNames() {
  const char* sql = dialect_ == Dialect::kSqlite
                        ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
                          " ORDER BY name"
                        : "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename";
  std::vector<std::string> names;
  try {
    soci::rowset<std::string> rows = session_->prepare << sql;
    for (const std::string& name : rows) names.push_back(name);
  } catch (...) {
    return StatusFromCurrentException("cannot list the database's tables");
  }
  return names;
}

Result<int64_t> Database::CountRows(const std::string& table) {
  std::string quoted = "\"";
  for (char c : table) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  quoted += "\"";
  try {
    long long rows = 0;
    *session_ << "SELECT COUNT(*) FROM " + quoted, soci::into(rows);
    return static_cast<int64_t>(rows);
  } catch (...) {
    return StatusFromCurrentException("cannot count the rows of " + table);
  }
}

}  // namespace tether::db

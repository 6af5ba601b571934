#include "sqlite_db.h"

namespace sqlite_file_storage {

Stmt::Stmt(Db* db, const char* sql) : db_(db) {
  if (sqlite3_prepare_v2(db->handle(), sql, -1, &stmt_, nullptr) != SQLITE_OK) status_ = db->Error("prepare");
}

bool Stmt::Step() {
  if (!status_.ok()) return false;
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) status_ = db_->Error("step");
  return false;
}

tether::Status Db::Open(const std::string& path, Db* db) {
  if (sqlite3_open_v2(path.c_str(), &db->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    return tether::Status::Unavailable("cannot open " + path + ": " +
                                       (db->db_ != nullptr ? sqlite3_errmsg(db->db_) : "out of memory"));
  }
  sqlite3_busy_timeout(db->db_, 60000);
  TETHER_RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode=WAL"));
  return db->Exec("PRAGMA foreign_keys=ON");
}

tether::Status Db::Exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) == SQLITE_OK) return tether::Status::Ok();
  const std::string text = message != nullptr ? message : "unknown error";
  sqlite3_free(message);
  const int code = sqlite3_errcode(db_);
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) return tether::Status::Unavailable("the database is busy: " + text);
  return tether::Status::Internal(text);
}

tether::Status Db::Error(const char* what) const {
  const int code = sqlite3_errcode(db_);
  const std::string text = std::string(what) + ": " + sqlite3_errmsg(db_);
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) return tether::Status::Unavailable("the database is busy: " + text);
  return tether::Status::Internal(text);
}

}  // namespace sqlite_file_storage

// A few lines over SQLite's C API for sqlite-file-storage: a connection and a
// statement that free themselves, and errors as tether::Status.
//
// Thread safety: a Db and its statements belong to one thread at a time.
#ifndef SQLITE_FILE_STORAGE_SQLITE_DB_H_
#define SQLITE_FILE_STORAGE_SQLITE_DB_H_

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "tether/status.h"

namespace sqlite_file_storage {

class Db;

// One prepared statement. Bind with 1-based indexes, then Step until it
// returns false; a failed step leaves its Status in status().
class Stmt {
 public:
  Stmt(Db* db, const char* sql);
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& Bind(int index, const std::string& text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int index, int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }
  Stmt& BindBlob(int index, const void* data, size_t size) {
    sqlite3_bind_blob(stmt_, index, data, static_cast<int>(size), SQLITE_TRANSIENT);
    return *this;
  }

  // True while a row is there; false at the end or on an error.
  bool Step();
  // Runs a statement that returns no rows.
  tether::Status Run() {
    while (Step()) {
    }
    return status_;
  }
  const tether::Status& status() const { return status_; }

  std::string Text(int column) const {
    const void* data = sqlite3_column_blob(stmt_, column);
    const int size = sqlite3_column_bytes(stmt_, column);
    return data == nullptr ? std::string() : std::string(static_cast<const char*>(data), static_cast<size_t>(size));
  }
  int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  bool IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

 private:
  Db* db_;
  sqlite3_stmt* stmt_ = nullptr;
  tether::Status status_;
};

class Db {
 public:
  // Opens (creating) the database file at `path`; a busy database is waited
  // for up to 60 s before a call fails with Unavailable.
  static tether::Status Open(const std::string& path, Db* db);
  Db() = default;
  ~Db() { sqlite3_close_v2(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  tether::Status Exec(const char* sql);
  // The Status for SQLite's last error on this connection.
  tether::Status Error(const char* what) const;
  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// A transaction that rolls back unless committed. BEGIN IMMEDIATE takes the
// database's write lock at once, so what is read inside stays true.
class Transaction {
 public:
  explicit Transaction(Db* db) : db_(db) {}
  ~Transaction() {
    if (open_) db_->Exec("ROLLBACK").ok();  // nothing more to do if it fails: closing rolls back
  }
  tether::Status Begin() {
    tether::Status begun = db_->Exec("BEGIN IMMEDIATE");
    open_ = begun.ok();
    return begun;
  }
  tether::Status Commit() {
    tether::Status committed = db_->Exec("COMMIT");
    if (committed.ok()) open_ = false;
    return committed;
  }

 private:
  Db* db_;
  bool open_ = false;
};

}  // namespace sqlite_file_storage

#endif  // SQLITE_FILE_STORAGE_SQLITE_DB_H_

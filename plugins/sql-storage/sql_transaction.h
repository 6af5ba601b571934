// Transaction: rolls back, when it goes out of scope, a transaction that
// did not commit. For the sql-storage plugin's own sessions; used by one
// thread, like its session.
#ifndef TETHER_PLUGINS_SQL_STORAGE_SQL_TRANSACTION_H_
#define TETHER_PLUGINS_SQL_STORAGE_SQL_TRANSACTION_H_

#include <soci/soci.h>

namespace tether::sql_storage {

class Transaction {
 public:
  // The transaction is open on `session` already (BEGIN ran).
  explicit Transaction(soci::session& session) : session_(session) {}
  ~Transaction() {
    if (done_) return;
    try {
      session_ << "ROLLBACK";
    } catch (...) {
      // The session is left to its owner; a broken one fails its next use.
    }
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void Commit() {
    session_ << "COMMIT";
    done_ = true;
  }

 private:
  soci::session& session_;
  bool done_ = false;
};

}  // namespace tether::sql_storage

#endif  // TETHER_PLUGINS_SQL_STORAGE_SQL_TRANSACTION_H_

// Waiting for PostgreSQL notifications (LISTEN/NOTIFY) on a connection of
// its own: how a worker is woken at once when a sync is asked for, instead
// of at its next poll.
//
// Ownership: owns its connection. Thread safety: one thread at a time.
// Errors: Listen as OpenSociSession (InvalidArgument for a URL that is not
// PostgreSQL's); Wait gives Unavailable when the connection broke (open a
// new listener).
#ifndef TETHER_SHARED_SQL_NOTIFY_H_
#define TETHER_SHARED_SQL_NOTIFY_H_

#include <chrono>
#include <memory>
#include <string>

#include "tether/status.h"

namespace soci {
class session;
}

namespace tether::db {

class SqlNotifications {
 public:
  // Connects to the PostgreSQL database at `url` and listens on `channel`
  // (letters, digits and '_').
  static Result<std::unique_ptr<SqlNotifications>> Listen(const std::string& url, const std::string& channel);
  ~SqlNotifications();

  SqlNotifications(const SqlNotifications&) = delete;
  SqlNotifications& operator=(const SqlNotifications&) = delete;

  // Waits until a notification arrives (true, every pending one taken) or
  // `timeout` passes (false). When `interrupt_fd` (an eventfd, or the read
  // end of a pipe) is given, its becoming readable ends the wait too
  // (false): what was written to it is read, so that it can be used again.
  Result<bool> Wait(std::chrono::milliseconds timeout, int interrupt_fd = -1);

 private:
  explicit SqlNotifications(std::unique_ptr<soci::session> session);
  std::unique_ptr<soci::session> session_;
};

}  // namespace tether::db

#endif  // TETHER_SHARED_SQL_NOTIFY_H_

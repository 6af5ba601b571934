#include "shared/sql_notify.h"

#include <poll.h>
#include <unistd.h>
#include <soci/soci.h>

#include <cerrno>

#include "shared/libpq.h"
#include "shared/sql_connect.h"

namespace tether::db {
namespace {

// Takes every notification that has arrived; true when there was one.
bool TakeNotifications(const LibPq& pq, PGconn* conn) {
  bool any = false;
  while (PGnotify* notification = pq.notifies(conn)) {
    pq.freemem(notification);
    any = true;
  }
  return any;
}

}  // namespace

SqlNotifications::SqlNotifications(std::unique_ptr<soci::session> session) : session_(std::move(session)) {}

SqlNotifications::~SqlNotifications() = default;

Result<std::unique_ptr<SqlNotifications>> SqlNotifications::Listen(const std::string& url,
                                                                    const std::string& channel) {
  Result<Dialect> dialect = DialectOfUrl(url);
  if (!dialect.ok()) return dialect.status();
  if (*dialect != Dialect::kPostgres) return Status::InvalidArgument("notifications need a PostgreSQL database");
  for (char c : channel) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok || channel.size() > 63) return Status::InvalidArgument("bad notification channel \"" + channel + "\"");
  }
  Result<std::unique_ptr<soci::session>> session = OpenSociSession(url, 0);
  if (!session.ok()) return session.status();
  if (PostgresConnection(**session) == nullptr) return Status::Internal("not a PostgreSQL session");
  try {
    **session << "LISTEN " + channel;
  } catch (...) {
    return StatusFromCurrentException("cannot listen for notifications on " + channel);
  }
  return std::unique_ptr<SqlNotifications>(new SqlNotifications(std::move(session).value()));
}

Result<bool> SqlNotifications::Wait(std::chrono::milliseconds timeout, int interrupt_fd) {
  Result<const LibPq*> loaded = LoadLibPq();
  if (!loaded.ok()) return loaded.status();
  const LibPq& pq = **loaded;
  PGconn* conn = PostgresConnection(*session_);
  if (conn == nullptr || pq.status(conn) != CONNECTION_OK) {
    return Status::Unavailable("the notification connection is closed");
  }
  if (TakeNotifications(pq, conn)) return true;
  pollfd fds[2] = {{pq.socket(conn), POLLIN, 0}, {interrupt_fd, POLLIN, 0}};
  if (fds[0].fd < 0) return Status::Unavailable("the notification connection has no socket");
  const int ready = poll(fds, interrupt_fd >= 0 ? 2 : 1, static_cast<int>(timeout.count()));
  if (ready < 0 && errno != EINTR) return Status::Unavailable("cannot wait for notifications");
  if (ready <= 0) return false;
  if (interrupt_fd >= 0 && (fds[1].revents & POLLIN) != 0) {
    char drained[64];
    while (read(interrupt_fd, drained, sizeof(drained)) > 0) {
    }
    if ((fds[0].revents & POLLIN) == 0) return false;
  }
  if (pq.consume_input(conn) == 0) {
    return Status::Unavailable(std::string("the notification connection broke: ") + pq.error_message(conn));
  }
  return TakeNotifications(pq, conn);
}

}  // namespace tether::db

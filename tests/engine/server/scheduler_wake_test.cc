// Waking a worker's scheduler at once (PostgreSQL): a wait for
// notifications ends when the scheduler's wake descriptor is written, not
// only when a notification arrives or the wait times out. Without it, a
// run's end was seen up to 200 ms late whenever the scheduler was waiting
// on the notification socket, and a worker's places stood idle.
#include <catch2/catch.hpp>

#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>

#include "shared/sql_connect.h"
#include "shared/sql_notify.h"
#include "support/git_repo.h"
#include "support/test_database.h"

#include <soci/soci.h>

using tether::db::SqlNotifications;

namespace {

struct EventFd {
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ~EventFd() { close(fd); }
  void Write() const {
    const uint64_t one = 1;
    REQUIRE(write(fd, &one, sizeof(one)) == static_cast<ssize_t>(sizeof(one)));
  }
};

}  // namespace

TEST_CASE("a wait for notifications ends at once when its interrupt descriptor is written, and reads it empty") {
  tether::testing::TempDir dir;
  tether::testing::TestDatabase database(dir.path());
  auto listener = SqlNotifications::Listen(database.url(), "tether_wake_test");
  REQUIRE(listener.ok());
  EventFd wake;
  REQUIRE(wake.fd >= 0);

  // Written while nobody waits: the next wait returns at once, false.
  wake.Write();
  auto start = std::chrono::steady_clock::now();
  auto waited = (*listener)->Wait(std::chrono::milliseconds(5000), wake.fd);
  REQUIRE(waited.ok());
  CHECK_FALSE(*waited);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(1000));

  // Read empty: the wait after it lasts its timeout.
  start = std::chrono::steady_clock::now();
  waited = (*listener)->Wait(std::chrono::milliseconds(100), wake.fd);
  REQUIRE(waited.ok());
  CHECK_FALSE(*waited);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(90));

  // Written from another thread during the wait.
  std::thread waker([&wake] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    wake.Write();
  });
  start = std::chrono::steady_clock::now();
  waited = (*listener)->Wait(std::chrono::milliseconds(5000), wake.fd);
  waker.join();
  REQUIRE(waited.ok());
  CHECK_FALSE(*waited);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(2000));

  // A notification is still told apart: true.
  auto session = tether::db::OpenSociSession(database.url(), 10000);
  REQUIRE(session.ok());
  **session << "SELECT pg_notify('tether_wake_test', '')";
  waited = (*listener)->Wait(std::chrono::milliseconds(5000), wake.fd);
  REQUIRE(waited.ok());
  CHECK(*waited);
}

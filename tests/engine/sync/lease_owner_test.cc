// Whether a lease's owner is known to be gone: only processes of this host
// can be, when no process has their pid or a newer one reuses it.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "shared/clock.h"
#include "engine/sync/lease_owner.h"

using tether::sync::LeaseOwnerIsGone;
using tether::sync::NewLeaseOwner;

namespace {

std::string Host() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return host;
}

std::string Owner(const std::string& host, long pid, long long taken) {
  return host + ":" + std::to_string(pid) + ":1:" + std::to_string(taken);
}

// The pid of a child that has exited (and been reaped).
pid_t DeadPid() {
  pid_t child = fork();
  if (child == 0) _exit(0);
  REQUIRE(child > 0);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  return child;
}

}  // namespace

TEST_CASE("a lease owner is gone only when it was a process of this host that no longer runs") {
  const long long now = tether::NowUnixSeconds();
  // This process, and one that started before its lease: alive.
  CHECK_FALSE(LeaseOwnerIsGone(NewLeaseOwner()));
  CHECK_FALSE(LeaseOwnerIsGone(Owner(Host(), getppid(), now)));
  // A pid no process has now.
  CHECK(LeaseOwnerIsGone(Owner(Host(), DeadPid(), now)));
  // A process that has ended but was not reaped yet (a zombie): gone too.
  pid_t zombie = fork();
  if (zombie == 0) _exit(0);
  REQUIRE(zombie > 0);
  siginfo_t exited{};
  REQUIRE(waitid(P_PID, static_cast<id_t>(zombie), &exited, WEXITED | WNOWAIT) == 0);  // ended, not reaped
  CHECK(LeaseOwnerIsGone(Owner(Host(), zombie, now)));
  int status = 0;
  REQUIRE(waitpid(zombie, &status, 0) == zombie);
  // A pid some process has, but one that started after the lease was taken.
  CHECK(LeaseOwnerIsGone(Owner(Host(), getppid(), 1000)));
  // Another host's processes cannot be checked: their leases must expire.
  CHECK_FALSE(LeaseOwnerIsGone(Owner(Host() + "-elsewhere", DeadPid(), now)));
  // Names this engine did not make.
  for (const std::string& odd : {std::string(), std::string("api-delete:ci:2026-11-25T00:00:00Z"),
                                 Host() + ":x:1:" + std::to_string(now), Host() + ":0:1:1", Host() + ":1:1"}) {
    INFO(odd);
    CHECK_FALSE(LeaseOwnerIsGone(odd));
  }
}

// shared/child_process.h: a program run with a deadline, its output kept,
// its environment as asked, and at the deadline its whole process group
// killed.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "shared/child_process.h"
#include "support/git_repo.h"

using tether::shared::ChildCommand;
using tether::shared::RunChild;

namespace {

// Whether process `pid` is gone: no such process, or a zombie waiting for
// a parent that is not this process to reap it.
bool Gone(int pid) {
  if (kill(pid, 0) != 0) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const size_t paren = line.rfind(')');
  return paren == std::string::npos || (paren + 2 < line.size() && line[paren + 2] == 'Z');
}

}  // namespace

TEST_CASE("a child's exit code, stdout and the end of its stderr come back") {
  ChildCommand command;
  command.argv = {"sh", "-c", "printf out; i=0; while [ $i -lt 3000 ]; do echo line-$i >&2; i=$((i+1)); done; exit 3"};
  command.max_stderr = 64;
  auto ran = RunChild(command);
  REQUIRE(ran.ok());
  CHECK(ran->exit_code == 3);
  CHECK_FALSE(ran->ok());
  CHECK(ran->out == "out");
  CHECK(ran->err.size() <= 64);
  CHECK(ran->err.find("line-2999") != std::string::npos);
  CHECK(ran->How(command) == "exited 3");
}

TEST_CASE("a child's environment has what is set and not what is unset") {
  setenv("TETHER_CHILD_TEST_GONE", "present", 1);
  ChildCommand command;
  command.argv = {"sh", "-c", "printf '%s|%s' \"$TETHER_CHILD_TEST_SET\" \"${TETHER_CHILD_TEST_GONE-unset}\""};
  command.set_env = {"TETHER_CHILD_TEST_SET=given"};
  command.unset_env = {"TETHER_CHILD_TEST_GONE"};
  auto ran = RunChild(command);
  REQUIRE(ran.ok());
  CHECK(ran->out == "given|unset");
  unsetenv("TETHER_CHILD_TEST_GONE");
}

TEST_CASE("at the deadline the child and what it started are killed") {
  tether::testing::TempDir dir;
  const std::string pid_file = (dir.path() / "grandchild.pid").string();
  ChildCommand command;
  // The grandchild keeps no pipe open, so only the group kill can end it.
  command.argv = {"sh", "-c", "sleep 60 >/dev/null 2>&1 </dev/null & echo $! > " + pid_file + "; sleep 60"};
  command.timeout = std::chrono::milliseconds(500);
  const auto started = std::chrono::steady_clock::now();
  auto ran = RunChild(command);
  REQUIRE(ran.ok());
  CHECK(ran->timed_out);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
  CHECK(ran->How(command) == "did not finish within 500 ms");
  int grandchild = 0;
  std::ifstream(pid_file) >> grandchild;
  REQUIRE(grandchild > 0);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = Gone(grandchild);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(gone);
}

TEST_CASE("a program that does not exist is refused, naming it") {
  ChildCommand command;
  command.argv = {"/nonexistent/tether-no-such-program"};
  auto ran = RunChild(command);
  CHECK(ran.status().code() == tether::StatusCode::kInvalidArgument);
  CHECK(ran.status().message().find("tether-no-such-program") != std::string::npos);
}

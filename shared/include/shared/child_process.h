// Running a program as a child process with a deadline: the git-remote
// provider's git commands, and the conformance kit's fixture adapters.
//
// The child is started with posix_spawn (safe in a process with many
// threads), in a process group of its own, with stdin from /dev/null and
// stdout and stderr read through pipes. When the deadline passes, the
// whole group (the child and whatever it started: git's transport helpers,
// ssh) is killed with SIGKILL and reaped.
//
// Thread safety: RunChild may be called from any number of threads at once;
// every pipe is made close-on-exec, so a child started by one thread never
// holds another's pipe open.
#ifndef TETHER_SHARED_CHILD_PROCESS_H_
#define TETHER_SHARED_CHILD_PROCESS_H_

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "tether/status.h"

namespace tether {
namespace shared {

struct ChildCommand {
  // argv[0] is looked up in $PATH when it holds no '/'.
  std::vector<std::string> argv;
  // Added to (or replacing in) the environment the child inherits, as
  // "NAME=value".
  std::vector<std::string> set_env;
  // Removed from the environment the child inherits.
  std::vector<std::string> unset_env;
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  // What is kept of each stream: stdout's first bytes, stderr's last ones
  // (where a failing program says why). The rest is read and dropped.
  size_t max_stdout = 64u << 20;
  size_t max_stderr = 16u << 10;
};

struct ChildOutcome {
  bool timed_out = false;  // killed at the deadline
  int exit_code = -1;      // when it exited; -1 when a signal ended it
  int signal = 0;          // the signal that ended it, 0 when it exited
  std::string out;         // stdout, up to max_stdout
  std::string err;         // the end of stderr, up to max_stderr
  bool out_truncated = false;

  bool ok() const { return !timed_out && exit_code == 0; }
  // "exited 3", "was killed by signal 9", "did not finish within 5 s".
  std::string How(const ChildCommand& command) const;
};

// Runs `command` to its end or its deadline. The Status fails only when the
// program cannot be started (InvalidArgument naming it and why) or the
// pipes fail (Internal); how the program ended is in the outcome.
Result<ChildOutcome> RunChild(const ChildCommand& command);

}  // namespace shared
}  // namespace tether

#endif  // TETHER_SHARED_CHILD_PROCESS_H_

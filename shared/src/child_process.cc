#include "shared/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <system_error>

extern char** environ;

namespace tether {
namespace shared {
namespace {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  Fd() = default;
  ~Fd() { Close(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset(int fd) {
    Close();
    fd_ = fd;
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

std::string Errno(int error) { return std::error_code(error, std::generic_category()).message(); }

Status MakePipe(Fd* read_end, Fd* write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Status::Internal("cannot make a pipe: " + Errno(errno));
  read_end->Reset(fds[0]);
  write_end->Reset(fds[1]);
  return Status::Ok();
}

// The environment the child gets: ours, with `set` applied and `unset` gone.
std::vector<std::string> ChildEnvironment(const ChildCommand& command) {
  std::map<std::string, std::string> values;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string text(*entry);
    const size_t equals = text.find('=');
    if (equals == std::string::npos) continue;
    values[text.substr(0, equals)] = text;
  }
  for (const std::string& name : command.unset_env) values.erase(name);
  for (const std::string& text : command.set_env) {
    const size_t equals = text.find('=');
    if (equals == std::string::npos) continue;
    values[text.substr(0, equals)] = text;
  }
  std::vector<std::string> out;
  out.reserve(values.size());
  for (auto& [name, text] : values) out.push_back(std::move(text));
  return out;
}

std::vector<char*> Pointers(std::vector<std::string>* strings) {
  std::vector<char*> out;
  out.reserve(strings->size() + 1);
  for (std::string& s : *strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Appends what `fd` has to `sink`, keeping the first `limit` bytes (or the
// last ones when `keep_tail`). False at the end of the stream.
bool Drain(int fd, std::string* sink, size_t limit, bool keep_tail, bool* truncated) {
  char buffer[16384];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  if (n == 0) return false;
  const size_t got = static_cast<size_t>(n);
  if (keep_tail) {
    sink->append(buffer, got);
    if (sink->size() > limit) sink->erase(0, sink->size() - limit);
    return true;
  }
  const size_t room = sink->size() < limit ? limit - sink->size() : 0;
  sink->append(buffer, std::min(room, got));
  if (got > room && truncated != nullptr) *truncated = true;
  return true;
}

}  // namespace

std::string ChildOutcome::How(const ChildCommand& command) const {
  if (timed_out) {
    const auto ms = command.timeout.count();
    return ms % 1000 == 0 ? "did not finish within " + std::to_string(ms / 1000) + " s"
                          : "did not finish within " + std::to_string(ms) + " ms";
  }
  if (signal != 0) return "was killed by signal " + std::to_string(signal);
  return "exited " + std::to_string(exit_code);
}

Result<ChildOutcome> RunChild(const ChildCommand& command) {
  if (command.argv.empty() || command.argv[0].empty()) {
    return Status::InvalidArgument("no program to run");
  }
  Fd out_read, out_write, err_read, err_write;
  TETHER_RETURN_IF_ERROR(MakePipe(&out_read, &out_write));
  TETHER_RETURN_IF_ERROR(MakePipe(&err_read, &err_write));

  std::vector<std::string> argv_strings = command.argv;
  std::vector<char*> argv = Pointers(&argv_strings);
  std::vector<std::string> env_strings = ChildEnvironment(command);
  std::vector<char*> envp = Pointers(&env_strings);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // A group of its own, so that a kill reaches what it starts; default
  // signal handling and no blocked signals, whatever this process set.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &all);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, argv[0], &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) {
    return Status::InvalidArgument("cannot run " + command.argv[0] + ": " + Errno(spawned));
  }
  out_write.Close();
  err_write.Close();

  ChildOutcome outcome;
  const Clock::time_point deadline = Clock::now() + command.timeout;
  bool out_open = true;
  bool err_open = true;
  while (out_open || err_open) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      outcome.timed_out = true;
      break;
    }
    pollfd fds[2];
    nfds_t count = 0;
    if (out_open) fds[count++] = {out_read.get(), POLLIN, 0};
    if (err_open) fds[count++] = {err_read.get(), POLLIN, 0};
    const int ready = ::poll(fds, count, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR) break;
    for (nfds_t i = 0; ready > 0 && i < count; ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      if (fds[i].fd == out_read.get()) {
        out_open = Drain(out_read.get(), &outcome.out, command.max_stdout, false, &outcome.out_truncated);
      } else {
        err_open = Drain(err_read.get(), &outcome.err, command.max_stderr, true, nullptr);
      }
    }
  }
  // Both streams closed: the child is ending (or handed them on and left).
  // Wait for it until the deadline; at the deadline its whole group is
  // killed, and then it is reaped.
  const auto kill_group = [&] {
    outcome.timed_out = true;
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
  };
  if (outcome.timed_out) kill_group();
  int wait_status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &wait_status, outcome.timed_out ? 0 : WNOHANG);
    if (done == pid) break;
    if (done < 0) {
      if (errno == EINTR) continue;
      return Status::Internal("waitpid failed: " + Errno(errno));
    }
    if (Clock::now() >= deadline) {
      kill_group();
      continue;
    }
    ::poll(nullptr, 0, 5);
  }
  if (WIFEXITED(wait_status)) {
    outcome.exit_code = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    outcome.signal = WTERMSIG(wait_status);
  }
  return outcome;
}

}  // namespace shared
}  // namespace tether

// Runs the real `tether serve` binary for tests: a migrated test database
// (SQLite, or PostgreSQL under CTest's @postgres registration), a config
// with the bundled plugins and the gated test provider, and the server
// process itself on 127.0.0.1 with a free port read from its
// "listening on HOST:PORT" line.
//
// Errors: Catch2 REQUIREs (a failure ends the test); the process is killed
// if a test ends while it still runs.
#ifndef TETHER_TESTS_ENGINE_SERVER_SERVE_HARNESS_H_
#define TETHER_TESTS_ENGINE_SERVER_SERVE_HARNESS_H_

#include <sys/types.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "../cli/cli_harness.h"
#include "http_client.h"
#include "support/git_repo.h"

namespace tether::testing {

// A test's world: a temporary folder, a migrated database and a config.
class ServeEnv {
 public:
  // `server_json`: members of the config's "server" object, e.g.
  // R"("sync_workers": 1)"; `local_git_settings`: the local-git plugin's
  // "settings" object, e.g. R"({"allowed_roots": ["/srv/git"]})";
  // `more_plugins_json`: further elements of the "plugins" array, e.g.
  // R"({"name": "folder", "path": "/x/libfolder.so"})".
  // `workers_json`, `defaults_json`: members of the config's "workers" and
  // "defaults" objects.
  explicit ServeEnv(const std::string& server_json = "", const std::string& local_git_settings = "",
                    const std::string& more_plugins_json = "", const std::string& workers_json = "",
                    const std::string& defaults_json = "");

  const std::filesystem::path& dir() const { return dir_.path(); }
  TetherCli& cli() { return *cli_; }
  const std::filesystem::path& config() const { return cli_->config(); }

  // Creates an API token with the CLI and returns its secret.
  std::string Token(const std::string& name, const std::string& tenant = "default");

  // A folder the gated test provider uses as a repository (see
  // fixtures/gated_provider.cc), with `files` files in its one commit.
  std::filesystem::path GateDir(const std::string& name, int files = 20);

 private:
  TempDir dir_;
  std::unique_ptr<TetherCli> cli_;
};

// A tether process a test started; killed with SIGKILL if the test ends
// while it still runs.
class ReadyProcess {
 public:
  // Starts `tether ARGS...` (stdout read until a line starting with
  // `ready_prefix` comes, for at most 30 s; REQUIREd) with stderr in a file
  // under `dir`.
  ReadyProcess(const std::vector<std::string>& args, const std::filesystem::path& dir,
                const std::string& ready_prefix);
  ~ReadyProcess();  // SIGKILL when still running

  ReadyProcess(const ReadyProcess&) = delete;
  ReadyProcess& operator=(const ReadyProcess&) = delete;

  pid_t pid() const { return pid_; }
  // The stdout line that said it was ready.
  const std::string& ready_line() const { return ready_line_; }
  bool Running();
  // Sends `signal_number` and waits for the exit (at most `timeout_seconds`,
  // then SIGKILL). Returns the exit code, 128 + signal when killed, -1 on
  // timeout.
  int Stop(int signal_number = SIGTERM, int timeout_seconds = 60);
  // Sends `signal_number` and returns at once.
  void Signal(int signal_number) { ::kill(pid_, signal_number); }
  // Waits for an exit that is already under way; same results as Stop.
  int Wait(int timeout_seconds);
  std::string Stderr() const;

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::string ready_line_;
  std::filesystem::path stderr_file_;
};

class ServeProcess : public ReadyProcess {
 public:
  // Starts `tether --config CONFIG [GLOBAL_ARGS...] serve --listen LISTEN
  // [SERVE_ARGS...]` and waits until it listens. `global_args`: options
  // before the command, e.g. {"--log-format", "json"}; `serve_args`: after
  // it, e.g. {"--workers", "0"}.
  explicit ServeProcess(const std::filesystem::path& config, const std::string& listen = "127.0.0.1:0",
                        const std::vector<std::string>& global_args = {},
                        const std::vector<std::string>& serve_args = {});

  int port() const { return port_; }
  const std::string& host() const { return host_; }
  HttpClient client() const { return HttpClient(host_, port_); }

 private:
  std::string host_;
  int port_ = 0;
};

// `tether --config CONFIG worker [ARGS...]`, once it said it started.
class WorkerProcess : public ReadyProcess {
 public:
  explicit WorkerProcess(const std::filesystem::path& config, const std::vector<std::string>& args = {});
  // Its worker id ("HOST:PID:STARTED").
  const std::string& id() const { return id_; }

 private:
  std::string id_;
};

// A non-loopback IPv4 address of this machine; "" when it has none.
std::string NonLoopbackIpv4Address();

// Polls `condition` every 10 ms for up to `seconds`; returns its last value.
template <typename Fn>
bool Eventually(Fn&& condition, int seconds = 30) {
  for (int i = 0; i < seconds * 100; ++i) {
    if (condition()) return true;
    ::usleep(10000);
  }
  return condition();
}

}  // namespace tether::testing

#endif  // TETHER_TESTS_ENGINE_SERVER_SERVE_HARNESS_H_

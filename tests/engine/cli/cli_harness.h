// Runs the real tether binary against a temporary config and SQLite
// database, and reads the database back for assertions.
#ifndef TETHER_TESTS_ENGINE_CLI_CLI_HARNESS_H_
#define TETHER_TESTS_ENGINE_CLI_CLI_HARNESS_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include <rapidjson/document.h>

#include "engine/db/database.h"
#include "support/git_repo.h"
#include "support/test_database.h"

namespace tether::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class TetherCli {
 public:
  // Writes a config in `dir` for a new test database (SQLite or PostgreSQL,
  // see test_database.h; extra JSON members of "defaults" may be given as
  // `defaults_json`, e.g. R"("max_content_bytes": 100)"; extra entries of
  // "plugins" as `plugins_json`, each JSON object with a leading comma) and
  // migrates.
  explicit TetherCli(const std::filesystem::path& dir, const std::string& defaults_json = "",
                     const std::string& plugins_json = "");

  // Runs `tether --config <config> <args>`; args is shell text.
  // Writes the config again with other defaults and plugins, on the same
  // database (an operator editing the config between runs).
  void Reconfigure(const std::string& defaults_json, const std::string& plugins_json);

  CliResult Run(const std::string& args) const;
  // Runs with --json and parses stdout; fails the test when it is not JSON.
  rapidjson::Document Json(const std::string& args, int* exit_code = nullptr) const;

  db::Database& db();
  const std::filesystem::path& config() const { return config_; }
  const std::string& db_url() const { return database_.url(); }
  bool postgres() const { return database_.dialect() == db::Dialect::kPostgres; }

  // Single-value queries on the database.
  long long Count(const std::string& sql);
  std::string Text(const std::string& sql);

 private:
  std::filesystem::path dir_;
  std::filesystem::path config_;
  TestDatabase database_;
  std::unique_ptr<db::Database> db_;
};

// `tether --config CONFIG ARGS` running in the background (args is shell
// text), with its stdout and stderr each in a file of the config's folder,
// for tests that signal a process or run a second one beside it.
class TetherProcess {
 public:
  TetherProcess(const TetherCli& cli, const std::string& args);
  ~TetherProcess();  // SIGKILL when still running

  TetherProcess(const TetherProcess&) = delete;
  TetherProcess& operator=(const TetherProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int signal_number);
  bool Running();
  // Waits for the exit (at most `timeout_seconds`, then SIGKILL). Returns
  // the exit code, 128 + signal when a signal ended it, -1 on timeout.
  int Wait(int timeout_seconds = 60);
  std::string Out() const;
  std::string Err() const;

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::filesystem::path out_file_;
  std::filesystem::path err_file_;
};

}  // namespace tether::testing

#endif  // TETHER_TESTS_ENGINE_CLI_CLI_HARNESS_H_

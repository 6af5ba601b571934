#include "cli_harness.h"

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>

#include <soci/soci.h>

namespace tether::testing {

TetherCli::TetherCli(const std::filesystem::path& dir, const std::string& defaults_json,
                     const std::string& plugins_json)
    : dir_(dir), config_(dir / "tether.json"), database_(dir) {
  Reconfigure(defaults_json, plugins_json);
  CliResult migrated = Run("migrate apply");
  INFO(migrated.err);
  REQUIRE(migrated.exit_code == 0);
}

void TetherCli::Reconfigure(const std::string& defaults_json, const std::string& plugins_json) {
  std::ofstream(config_) << "{\n  \"database\": \"" << database_.url() << "\",\n"
                            "  \"plugins\": [{\"name\": \"local-git\", \"kind\": \"provider\"},"
                            " {\"name\": \"sql-storage\", \"kind\": \"storage\"}"
                         << plugins_json << "]"
                         << (defaults_json.empty() ? "" : ",\n  \"defaults\": {" + defaults_json + "}")
                         << "\n}\n";
}

CliResult TetherCli::Run(const std::string& args) const {
  std::filesystem::path err_file = dir_ / "stderr.txt";
  std::string command = ShellQuote(TETHER_BIN) + " --config " + ShellQuote(config_.string()) + " " + args +
                        " 2>" + ShellQuote(err_file.string()) + " </dev/null";
  CliResult result;
  result.out = RunCommand(command, &result.exit_code);
  std::ifstream in(err_file);
  std::stringstream buffer;
  buffer << in.rdbuf();
  result.err = buffer.str();
  return result;
}

rapidjson::Document TetherCli::Json(const std::string& args, int* exit_code) const {
  CliResult result = Run("--json " + args);
  if (exit_code != nullptr) *exit_code = result.exit_code;
  rapidjson::Document doc;
  doc.Parse(result.out.c_str());
  INFO("stdout: " << result.out << "\nstderr: " << result.err);
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

db::Database& TetherCli::db() {
  if (!db_) {
    auto opened = db::Database::Open(db_url());
    REQUIRE(opened.ok());
    db_ = std::move(opened).value();
  }
  return *db_;
}

long long TetherCli::Count(const std::string& sql) {
  long long value = 0;
  soci::indicator ind;
  db().session() << sql, soci::into(value, ind);
  return ind == soci::i_null ? 0 : value;
}

std::string TetherCli::Text(const std::string& sql) {
  std::string value;
  soci::indicator ind;
  db().session() << sql, soci::into(value, ind);
  return ind == soci::i_null ? std::string() : value;
}

namespace {

std::string FileText(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

TetherProcess::TetherProcess(const TetherCli& cli, const std::string& args) {
  static std::atomic<int> counter{0};
  const std::string tag = std::to_string(::getpid()) + "-" + std::to_string(++counter);
  out_file_ = cli.config().parent_path() / ("process-" + tag + ".out");
  err_file_ = cli.config().parent_path() / ("process-" + tag + ".err");
  const std::string command = "exec " + ShellQuote(TETHER_BIN) + " --config " + ShellQuote(cli.config().string()) +
                              " " + args + " >" + ShellQuote(out_file_.string()) + " 2>" +
                              ShellQuote(err_file_.string()) + " </dev/null";
  pid_ = ::fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
}

TetherProcess::~TetherProcess() {
  if (pid_ > 0 && Running()) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void TetherProcess::Signal(int signal_number) { ::kill(pid_, signal_number); }

bool TetherProcess::Running() {
  if (exit_code_ >= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == 0) return true;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return false;
}

int TetherProcess::Wait(int timeout_seconds) {
  for (int i = 0; i < timeout_seconds * 200; ++i) {
    if (!Running()) return exit_code_;
    ::usleep(5000);
  }
  if (!Running()) return exit_code_;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  exit_code_ = 128 + SIGKILL;
  return -1;
}

std::string TetherProcess::Out() const { return FileText(out_file_); }
std::string TetherProcess::Err() const { return FileText(err_file_); }

}  // namespace tether::testing

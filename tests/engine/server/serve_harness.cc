#include "serve_harness.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <sstream>

namespace tether::testing {
namespace {

std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace

ServeEnv::ServeEnv(const std::string& server_json, const std::string& local_git_settings,
                   const std::string& more_plugins_json, const std::string& workers_json,
                   const std::string& defaults_json) {
  cli_ = std::make_unique<TetherCli>(dir_.path());
  // The CLI harness wrote and migrated a config; add the test provider and
  // the server settings.
  std::ofstream(cli_->config()) << "{\n  \"database\": " << JsonString(cli_->db_url()) << ",\n"
                                << "  \"plugins\": [{\"name\": \"local-git\", \"kind\": \"provider\""
                                << (local_git_settings.empty() ? "" : ", \"settings\": " + local_git_settings)
                                << "}, {\"name\": \"sql-storage\", \"kind\": \"storage\"},"
                                   " {\"name\": \"gated-provider\", \"kind\": \"provider\", \"path\": "
                                << JsonString(GATED_PROVIDER_PATH) << ", \"settings\": {\"root\": "
                                << JsonString(dir_.path().string()) << "}}"
                                << (more_plugins_json.empty() ? "" : ", " + more_plugins_json) << "],\n"
                                << "  \"server\": {" << server_json << "},\n"
                                << "  \"workers\": {" << workers_json << "},\n"
                                << "  \"defaults\": {" << defaults_json << "}\n}\n";
}

std::string ServeEnv::Token(const std::string& name, const std::string& tenant) {
  CliResult made = cli_->Run("token create --name " + ShellQuote(name) + " --tenant " + ShellQuote(tenant));
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  std::string secret = made.out;
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  REQUIRE(secret.rfind("tether_", 0) == 0);
  return secret;
}

std::filesystem::path ServeEnv::GateDir(const std::string& name, int files) {
  std::filesystem::path gate = dir_.path() / name;
  std::filesystem::create_directories(gate);
  std::ofstream(gate / "files") << files;
  return gate;
}

ReadyProcess::ReadyProcess(const std::vector<std::string>& args, const std::filesystem::path& dir,
                             const std::string& ready_prefix)
    : stderr_file_(dir / ("tether-stderr-" + std::to_string(::getpid()) + "-" +
                          std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + ".txt")) {
  // Built before the fork: the child only calls async-signal-safe functions.
  std::vector<std::string> all = {"tether"};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : all) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int out[2];
  REQUIRE(::pipe(out) == 0);
  pid_ = ::fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    int err = ::open(stderr_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (err >= 0) ::dup2(err, STDERR_FILENO);
    int in = ::open("/dev/null", O_RDONLY);
    if (in >= 0) ::dup2(in, STDIN_FILENO);
    ::execv(TETHER_BIN, argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  std::string line;
  bool ready = false;
  for (int waited_ms = 0; waited_ms < 30000 && !ready;) {
    pollfd fd{out[0], POLLIN, 0};
    int polled = ::poll(&fd, 1, 100);
    waited_ms += 100;
    if (polled <= 0) continue;
    char c;
    ssize_t n = ::read(out[0], &c, 1);
    if (n <= 0) break;  // the process closed stdout: it exited
    if (c != '\n') {
      line.push_back(c);
      continue;
    }
    if (line.rfind(ready_prefix, 0) == 0) {
      ready_line_ = line;
      ready = true;
    }
    line.clear();
  }
  ::close(out[0]);  // nothing else is read from stdout; later writes go nowhere
  INFO("tether " << args.back() << " did not start; stderr: " << Stderr());
  REQUIRE(ready);
}

ReadyProcess::~ReadyProcess() {
  if (pid_ > 0 && exit_code_ < 0 && Running()) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

namespace {

std::vector<std::string> ServeArgs(const std::filesystem::path& config, const std::string& listen,
                                   const std::vector<std::string>& global_args,
                                   const std::vector<std::string>& serve_args) {
  std::vector<std::string> args = {"--config", config.string()};
  args.insert(args.end(), global_args.begin(), global_args.end());
  for (const char* arg : {"serve", "--listen"}) args.emplace_back(arg);
  args.push_back(listen);
  args.insert(args.end(), serve_args.begin(), serve_args.end());
  return args;
}

std::vector<std::string> WorkerArgs(const std::filesystem::path& config, const std::vector<std::string>& more) {
  std::vector<std::string> args = {"--config", config.string(), "worker"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

}  // namespace

ServeProcess::ServeProcess(const std::filesystem::path& config, const std::string& listen,
                           const std::vector<std::string>& global_args, const std::vector<std::string>& serve_args)
    : ReadyProcess(ServeArgs(config, listen, global_args, serve_args), config.parent_path(), "listening on ") {
  const std::string& line = ready_line();
  const std::string prefix = "listening on ";
  const size_t colon = line.rfind(':');
  REQUIRE(colon != std::string::npos);
  host_ = line.substr(prefix.size(), colon - prefix.size());
  port_ = std::stoi(line.substr(colon + 1));
}

WorkerProcess::WorkerProcess(const std::filesystem::path& config, const std::vector<std::string>& args)
    : ReadyProcess(WorkerArgs(config, args), config.parent_path(), "worker ") {
  // "worker ID started"
  const std::string& line = ready_line();
  const size_t end = line.rfind(" started");
  REQUIRE(end != std::string::npos);
  id_ = line.substr(7, end - 7);
}

bool ReadyProcess::Running() {
  if (exit_code_ >= 0) return false;
  int status = 0;
  pid_t done = ::waitpid(pid_, &status, WNOHANG);
  if (done == 0) return true;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return false;
}

int ReadyProcess::Wait(int timeout_seconds) {
  for (int i = 0; i < timeout_seconds * 100; ++i) {
    if (!Running()) return exit_code_;
    ::usleep(10000);
  }
  if (!Running()) return exit_code_;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  exit_code_ = 128 + SIGKILL;
  return -1;
}

int ReadyProcess::Stop(int signal_number, int timeout_seconds) {
  if (!Running()) return exit_code_;
  ::kill(pid_, signal_number);
  return Wait(timeout_seconds);
}

std::string ReadyProcess::Stderr() const {
  std::ifstream in(stderr_file_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string NonLoopbackIpv4Address() {
  std::string address;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return address;
  for (ifaddrs* a = list; a != nullptr && address.empty(); a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, text, sizeof(text));
    if (std::string(text).rfind("127.", 0) != 0) address = text;
  }
  freeifaddrs(list);
  return address;
}

}  // namespace tether::testing

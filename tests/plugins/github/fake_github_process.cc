#include "fake_github_process.h"

#include <curl/curl.h>
#include <poll.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace tether::testing {
namespace {

namespace fs = std::filesystem;

size_t Append(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// Reads one line from `fd` within `timeout_ms`; throws on EOF or timeout.
std::string ReadLine(int fd, int timeout_ms) {
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) throw std::runtime_error("fake GitHub: no READY line in time");
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left)) <= 0) continue;
    char c = 0;
    const ssize_t n = read(fd, &c, 1);
    if (n <= 0) throw std::runtime_error("fake GitHub exited before it was READY: " + line);
    if (c == '\n') return line;
    line.push_back(c);
  }
}

}  // namespace

EndpointCounts RequestCounts::Of(const std::string& endpoint) const {
  auto found = by_endpoint.find(endpoint);
  return found == by_endpoint.end() ? EndpointCounts() : found->second;
}

int RequestCounts::GitRequests() const {
  return Of("GET /{owner}/{repo}.git/info/refs").count +
         Of("POST /{owner}/{repo}.git/git-upload-pack").count;
}

FakeGitHubProcess::FakeGitHubProcess(const fs::path& repos_dir, const std::string& config_json,
                                     const std::string& api_prefix)
    : api_prefix_(api_prefix) {
  const fs::path config = config_dir_.path() / "config.json";
  std::ofstream(config) << (config_json.empty() ? "{}" : config_json);
  const std::string script = std::string(TETHER_SOURCE_DIR) + "/tests/fake_github/fake_github.py";
  const std::string parent = std::to_string(getpid());

  // Everything the child needs is built before fork(): after it, the child
  // may only call async-signal-safe functions (other threads may hold the
  // allocator's lock).
  std::vector<std::string> args = {"python3",          script,   "--repos-dir",
                                   repos_dir.string(), "--port", "0",
                                   "--config",         config.string(),
                                   "--parent-pid",     parent};
  if (!api_prefix.empty()) {
    args.push_back("--api-prefix");
    args.push_back(api_prefix);
  }
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    execvp("python3", argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  std::string line;
  try {
    line = ReadLine(pipe_fds[0], 20000);
  } catch (...) {
    close(pipe_fds[0]);
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    throw;
  }
  close(pipe_fds[0]);  // nothing else comes on stdout
  if (line.rfind("READY ", 0) != 0) throw std::runtime_error("fake GitHub said: " + line);
  port_ = std::atoi(line.c_str() + 6);
}

FakeGitHubProcess::~FakeGitHubProcess() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
}

std::string FakeGitHubProcess::web_url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::string FakeGitHubProcess::Control(const std::string& method, const std::string& path,
                                       const std::string& json_body) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) throw std::runtime_error("curl_easy_init failed");
  std::string body;
  const std::string url = web_url() + path;
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");  // the fake is on loopback
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 20000L);
  if (method != "GET") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, json_body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(json_body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  const CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (code != CURLE_OK) {
    throw std::runtime_error(method + " " + path + ": " + curl_easy_strerror(code));
  }
  if (status != 200) {
    throw std::runtime_error(method + " " + path + " answered " + std::to_string(status) + ": " +
                             body);
  }
  return body;
}

RequestCounts FakeGitHubProcess::Requests() {
  const std::string body = Control("GET", "/_fake/requests");
  rapidjson::Document document;
  document.Parse(body.c_str(), body.size());
  if (document.HasParseError() || !document.IsObject()) {
    throw std::runtime_error("GET /_fake/requests: not JSON: " + body);
  }
  RequestCounts counts;
  counts.total = document["total"].GetInt();
  counts.rate_limit_cost = document["rate_limit_cost"].GetInt();
  for (auto& endpoint : document["by_endpoint"].GetObject()) {
    EndpointCounts entry;
    entry.count = endpoint.value["count"].GetInt();
    entry.rate_limit_cost = endpoint.value["rate_limit_cost"].GetInt();
    for (auto& status : endpoint.value["statuses"].GetObject()) {
      entry.statuses[std::atoi(status.name.GetString())] = status.value.GetInt();
    }
    counts.by_endpoint[endpoint.name.GetString()] = entry;
  }
  return counts;
}

UpstreamRepo::UpstreamRepo(const fs::path& work_root, const fs::path& repos_dir,
                           const std::string& owner, const std::string& name)
    : work_(work_root / owner / name), bare_(repos_dir / owner / (name + ".git")) {
  fs::create_directories(bare_.parent_path());
  work_.Git("init -q --bare " + ShellQuote(bare_.string()));
  work_.Git("--git-dir=" + ShellQuote(bare_.string()) + " symbolic-ref HEAD refs/heads/main");
}

void UpstreamRepo::Publish() {
  work_.Git("push -q --force --prune " + ShellQuote(bare_.string()) +
            " 'refs/heads/*:refs/heads/*'");
}

std::string UpstreamRepo::BareGit(const std::string& args) {
  return work_.Git("--git-dir=" + ShellQuote(bare_.string()) + " " + args);
}

}  // namespace tether::testing

// Test support: the fake GitHub (tests/fake_github/fake_github.py) as a
// child process of the test, its control API, and bare repositories for it
// to serve.
//
// Errors: every method throws std::runtime_error when something fails
// (Catch2 reports it as a failure of the test case).
// Thread safety: one object per thread; Control may be called while other
// threads use the server.
#ifndef TETHER_TESTS_PLUGINS_GITHUB_FAKE_GITHUB_PROCESS_H_
#define TETHER_TESTS_PLUGINS_GITHUB_FAKE_GITHUB_PROCESS_H_

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>

#include "support/git_repo.h"

namespace tether::testing {

// What GET /_fake/requests says about one endpoint template.
struct EndpointCounts {
  int count = 0;
  int rate_limit_cost = 0;
  std::map<int, int> statuses;  // HTTP status -> how many
};

struct RequestCounts {
  int total = 0;
  int rate_limit_cost = 0;
  std::map<std::string, EndpointCounts> by_endpoint;

  // The endpoint's entry, all zero when it was never asked.
  EndpointCounts Of(const std::string& endpoint) const;
  // Requests to git smart HTTP (info/refs and upload-pack), i.e. fetches.
  int GitRequests() const;
};

class FakeGitHubProcess {
 public:
  // Starts the fake over `repos_dir` (bare repositories as
  // <owner>/<name>.git) with `config_json` as its configuration, REST under
  // `api_prefix` ("" or "/api/v3"). Waits for "READY <port>".
  FakeGitHubProcess(const std::filesystem::path& repos_dir, const std::string& config_json,
                    const std::string& api_prefix = "");
  ~FakeGitHubProcess();  // SIGTERM, then waits for the process
  FakeGitHubProcess(const FakeGitHubProcess&) = delete;
  FakeGitHubProcess& operator=(const FakeGitHubProcess&) = delete;

  int port() const { return port_; }
  // http://127.0.0.1:<port>
  std::string web_url() const;
  // web_url() + api_prefix
  std::string api_url() const { return web_url() + api_prefix_; }

  // Sends a control request (path under /_fake/) and returns the body;
  // throws unless the answer is 200.
  std::string Control(const std::string& method, const std::string& path,
                      const std::string& json_body = "");
  RequestCounts Requests();
  void ResetRequests() { Control("POST", "/_fake/requests/reset"); }

 private:
  TempDir config_dir_;
  std::string api_prefix_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// A repository on the fake: a working repository to commit in and the bare
// repository `<repos_dir>/<owner>/<name>.git` the fake serves, kept equal
// by Publish().
class UpstreamRepo {
 public:
  UpstreamRepo(const std::filesystem::path& work_root, const std::filesystem::path& repos_dir,
               const std::string& owner, const std::string& name);

  GitRepo& work() { return work_; }
  const std::filesystem::path& bare() const { return bare_; }
  // Mirrors every branch of the working repository to the bare one
  // (deleted and force-moved branches included).
  void Publish();
  // Runs git with --git-dir of the bare repository.
  std::string BareGit(const std::string& args);

 private:
  GitRepo work_;
  std::filesystem::path bare_;
};

}  // namespace tether::testing

#endif  // TETHER_TESTS_PLUGINS_GITHUB_FAKE_GITHUB_PROCESS_H_

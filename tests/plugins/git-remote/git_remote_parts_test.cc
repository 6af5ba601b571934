// The git-remote provider's parts on their own, compiled from its sources:
// the URLs it reads, how it tells one repository in two spellings, its
// settings, and how git's failures become Status codes.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "git_cli.h"
#include "remote_url.h"
#include "settings.h"
#include "support/plugin_library.h"
#include "tether/provider.h"

namespace {

using tether::StatusCode;
using tether::git_remote::GitFailureStatus;
using tether::git_remote::ParseRemoteUrl;
using tether::git_remote::ParseSettings;
using tether::git_remote::RemoteUrl;
using tether::git_remote::RepositoryKey;

const std::vector<std::string> kAll = {"https", "http", "ssh", "git"};

RemoteUrl Parsed(const std::string& text) {
  auto url = ParseRemoteUrl(text, kAll);
  INFO(text << ": " << url.status().message());
  REQUIRE(url.ok());
  return *url;
}

}  // namespace

TEST_CASE("git-remote reads each form of URL git takes for a remote") {
  RemoteUrl https = Parsed("https://gitlab.example.com:8443/group/sub/project.git");
  CHECK(https.scheme == "https");
  CHECK(https.host == "gitlab.example.com");
  CHECK(https.port == "8443");
  CHECK(https.path == "/group/sub/project.git");
  CHECK(https.Authority() == "gitlab.example.com:8443");

  RemoteUrl scp = Parsed("git@gitea.example.org:team/tool.git");
  CHECK(scp.scheme == "ssh");
  CHECK(scp.scp_like);
  CHECK(scp.user == "git");
  CHECK(scp.host == "gitea.example.org");
  CHECK(scp.path == "/team/tool.git");

  RemoteUrl ssh = Parsed("ssh://git@[::1]:2222/srv/repo.git");
  CHECK(ssh.host == "[::1]");
  CHECK(ssh.port == "2222");
  CHECK(Parsed("git+ssh://h/r").scheme == "ssh");
  CHECK(Parsed("  git://h/r.git ").text == "git://h/r.git");
}

TEST_CASE("git-remote refuses URLs it must not give git, without showing a password") {
  for (const std::string& text : {std::string("file:///srv/r.git"), std::string("/srv/r.git"),
                                  std::string("ext::sh -c id"), std::string("ext::sh"),
                                  std::string("fd::3"), std::string("-u/x:y"),
                                  std::string("ssh://-oProxyCommand=id/r"), std::string("host:-r"),
                                  std::string("https://h:0/r"), std::string("https://h/"),
                                  std::string("https://h"), std::string("https://@h/r"),
                                  std::string("https://h/r\x01"), std::string("https://h/caf\xc3\xa9"),
                                  std::string(3000, 'a')}) {
    auto url = ParseRemoteUrl(text, kAll);
    INFO(text);
    CHECK(url.status().code() == StatusCode::kInvalidArgument);
  }
  auto secret = ParseRemoteUrl("https://me:s3cr3t-token@h/r.git", kAll);
  CHECK(secret.status().code() == StatusCode::kInvalidArgument);
  CHECK(secret.status().message().find("s3cr3t") == std::string::npos);
  CHECK(secret.status().message().find("password_env") != std::string::npos);

  auto not_allowed = ParseRemoteUrl("http://h/r.git", {"https", "ssh"});
  CHECK(not_allowed.status().code() == StatusCode::kInvalidArgument);
  CHECK(not_allowed.status().message().find("allow only https, ssh") != std::string::npos);
}

TEST_CASE("git-remote tells one repository in its spellings, and two repositories apart") {
  const std::string key = RepositoryKey(Parsed("https://github.com/Octo/App.git"), true);
  CHECK(RepositoryKey(Parsed("git@github.com:octo/app.git"), true) == key);
  CHECK(RepositoryKey(Parsed("ssh://git@GitHub.com/octo/app"), true) == key);
  CHECK(RepositoryKey(Parsed("git://github.com/octo/app.git"), true) == key);
  CHECK(RepositoryKey(Parsed("https://github.com:443/octo/app/"), true) == key);
  CHECK(RepositoryKey(Parsed("https://github.com/octo/app2"), true) != key);
  CHECK(RepositoryKey(Parsed("https://github.com:8443/octo/app"), true) != key);
  CHECK(RepositoryKey(Parsed("https://gitlab.com/octo/app"), true) != key);
  CHECK(RepositoryKey(Parsed("https://h/Octo/App"), false) != RepositoryKey(Parsed("https://h/octo/app"), false));
}

TEST_CASE("git-remote's settings: defaults, and each mistake named") {
  auto defaults = ParseSettings("", "remote");
  REQUIRE(defaults.ok());
  CHECK(defaults->protocols.size() == 4);
  CHECK(defaults->timeout_seconds == 60);
  CHECK(!defaults->cache_dir.empty());

  auto error = [](const std::string& json) { return ParseSettings(json, "remote").status().message(); };
  CHECK(error(R"({"password_env": "T", "username": "u"})").find("\"hosts\"") != std::string::npos);
  CHECK(error(R"({"hosts": ["h"], "password_env": "T", "password_file": "/f"})").find("not both") != std::string::npos);
  CHECK(error(R"({"protocols": ["file"]})").find("'file'") != std::string::npos);
  CHECK(error(R"({"timeout_seconds": 0})").find("timeout_seconds") != std::string::npos);
  CHECK(error(R"({"cache_dir": "relative"})").find("absolute") != std::string::npos);
  CHECK(error(R"({"tokens": 1})").find("unknown key \"tokens\"") != std::string::npos);
  CHECK(error(R"({"hosts": ["-oProxy"]})").find("not a host") != std::string::npos);
}

TEST_CASE("git's failures become the Status codes provider.h documents") {
  struct Case {
    const char* said;
    StatusCode code;
  };
  const Case cases[] = {
      {"fatal: could not read Username for 'https://h': terminal prompts disabled", StatusCode::kUnauthenticated},
      {"remote: HTTP Basic: Access denied\nfatal: Authentication failed for 'https://h/r.git/'",
       StatusCode::kUnauthenticated},
      {"git@h: Permission denied (publickey).\nfatal: Could not read from remote repository.",
       StatusCode::kUnauthenticated},
      {"Host key verification failed.\nfatal: Could not read from remote repository.", StatusCode::kPermissionDenied},
      {"fatal: unable to access 'https://h/r.git/': The requested URL returned error: 403",
       StatusCode::kPermissionDenied},
      {"remote: Repository not found.\nfatal: repository 'https://h/r.git/' not found", StatusCode::kNotFound},
      {"fatal: remote error: access denied or repository not exported: /r.git", StatusCode::kNotFound},
      {"fatal: '/r.git' does not appear to be a git repository", StatusCode::kNotFound},
      {"fatal: unable to access 'https://h/r.git/': The requested URL returned error: 429",
       StatusCode::kRateLimited},
      {"fatal: unable to access 'https://h/r.git/': The requested URL returned error: 502",
       StatusCode::kUnavailable},
      {"fatal: unable to access 'https://h/': Could not resolve host: h", StatusCode::kUnavailable},
      {"fatal: unable to connect to h:\nh[0: 10.0.0.1]: errno=Connection refused", StatusCode::kUnavailable},
      {"error: RPC failed; curl 28 Operation too slow. Less than 1000 bytes/sec transferred the last 60 seconds",
       StatusCode::kUnavailable},
      {"fatal: unable to access 'https://h/r.git/': server certificate verification failed. CAfile: x CRLfile: none",
       StatusCode::kPermissionDenied},
      {"fatal: unable to access 'https://h/r.git/': SSL certificate problem: self-signed certificate",
       StatusCode::kPermissionDenied},
      {"sh: 1: /opt/missing-ssh: not found\nfatal: Could not read from remote repository.", StatusCode::kInternal},
      {"error: cannot run ssh: No such file or directory\nfatal: unable to fork", StatusCode::kInternal},
      {"fatal: bad object 1234", StatusCode::kInternal},
  };
  for (const Case& c : cases) {
    INFO(c.said);
    tether::Status status = GitFailureStatus(c.said, "listing the branches of https://h/r.git");
    CHECK(status.code() == c.code);
    CHECK(status.message().find("https://h/r.git") != std::string::npos);
  }
}

TEST_CASE("the git-remote plugin matches a GitHub push by any of the pushed repository's URLs, strictly") {
  static const tether::testing::PluginLibrary library(TETHER_PLUGIN_DIR "/libgit-remote.so", "git-remote");
  tether::Status error;
  std::unique_ptr<tether::Plugin> plugin = library.Create(R"({"cache_dir": "/nonexistent/cache"})", &error);
  INFO(error.message());
  REQUIRE(plugin != nullptr);
  tether::Provider* provider = plugin->AsProvider();
  REQUIRE(provider != nullptr);

  tether::RepositoryMention push;
  push.forge = "github";
  push.full_name = "Octo/App";
  push.html_url = "https://github.com/Octo/App";
  push.clone_url = "https://github.com/Octo/App.git";
  push.ssh_url = "git@github.com:Octo/App.git";
  push.git_url = "git://github.com/Octo/App.git";
  for (const char* url : {"https://github.com/octo/app.git", "git@github.com:Octo/App.git",
                          "ssh://git@github.com/octo/app", "https://GitHub.com/Octo/App/"}) {
    INFO(url);
    CHECK(provider->MatchesRepository(url, push));
  }
  for (const char* url : {"https://github.com/octo/app2.git", "https://gitlab.com/octo/app.git",
                          "https://github.com:8443/octo/app.git", "not a url", ""}) {
    INFO(url);
    CHECK_FALSE(provider->MatchesRepository(url, push));
  }
  tether::RepositoryMention other = push;
  other.forge = "gitlab";
  CHECK_FALSE(provider->MatchesRepository("https://github.com/octo/app.git", other));

  // A URL it will not follow is refused when a project is added, and by Open.
  tether::Result<std::string> canonical = provider->CanonicalRepoUrl("file:///srv/app.git", "/work");
  CHECK(canonical.status().code() == StatusCode::kInvalidArgument);
  CHECK(provider->Open("ext::sh -c id").status().code() == StatusCode::kInvalidArgument);
  tether::Result<std::string> kept = provider->CanonicalRepoUrl("  https://h/a.git ", "/work");
  REQUIRE(kept.ok());
  CHECK(*kept == "https://h/a.git");
}

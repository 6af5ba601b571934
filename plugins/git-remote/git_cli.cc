#include "git_cli.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "shared/child_process.h"

namespace tether {
namespace git_remote {
namespace {

// git gives a shell helper its action as "$1" and the request on stdin; this
// one answers "get" for the host in $TETHER_GIT_HOST only.
constexpr char kCredentialHelper[] =
    "!f() { test \"$1\" = get || exit 0; h=; "
    "while IFS= read -r l; do case \"$l\" in host=*) h=${l#host=};; esac; done; "
    "test \"$h\" = \"$TETHER_GIT_HOST\" || exit 0; "
    "printf 'username=%s\\npassword=%s\\n' \"$TETHER_GIT_USERNAME\" \"$TETHER_GIT_PASSWORD\"; }; f";

// What git and ssh must not take from the process's environment.
constexpr const char* kUnsetEnv[] = {
    "GIT_ASKPASS", "SSH_ASKPASS", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT",
    "GIT_NAMESPACE", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_PROXY_COMMAND", "GIT_EXTERNAL_DIFF",
    "GIT_ALLOW_PROTOCOL", "GIT_PROTOCOL_FROM_USER", "GIT_TRACE", "GIT_TRACE_PACKET", "GIT_TRACE_CURL",
    "GIT_CURL_VERBOSE"};

// `text` as one word for sh: in single quotes.
std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

void Redact(const std::string& secret, std::string* text) {
  if (secret.size() < 1) return;
  for (size_t at = text->find(secret); at != std::string::npos; at = text->find(secret, at)) {
    text->replace(at, secret.size(), "[redacted]");
  }
}

// The last non-empty lines of git's stderr on one line, for a message.
std::string LastWords(const std::string& err) {
  std::vector<std::string> lines;
  std::istringstream in(err);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  std::string tail;
  for (size_t i = lines.size() > 3 ? lines.size() - 3 : 0; i < lines.size(); ++i) {
    tail += (tail.empty() ? "" : " ") + lines[i];
  }
  if (tail.size() > 600) tail = "..." + tail.substr(tail.size() - 600);
  return tail.empty() ? "(git said nothing)" : tail;
}

bool Has(const std::string& lower_text, const char* needle) { return lower_text.find(needle) != std::string::npos; }

// The HTTP status in git's "The requested URL returned error: 403", or 0.
int HttpStatus(const std::string& lower_text) {
  const std::string marker = "returned error: ";
  const size_t at = lower_text.find(marker);
  if (at == std::string::npos) return 0;
  return std::atoi(lower_text.c_str() + at + marker.size());
}

}  // namespace

Status GitFailureStatus(const std::string& stderr_text, const std::string& what) {
  const std::string said = LastWords(stderr_text);
  const std::string lower = AsciiLower(stderr_text);
  const int http = HttpStatus(lower);
  if (Has(lower, "terminal prompts disabled") || Has(lower, "could not read username") ||
      Has(lower, "could not read password")) {
    return Status::Unauthenticated(what + ": the server asks for credentials and none are configured "
                                          "for it (username with password_env or password_file)");
  }
  if (http == 401 || Has(lower, "authentication failed") || Has(lower, "permission denied (publickey") ||
      Has(lower, "permission denied, please try again") || Has(lower, "invalid username or password")) {
    return Status::Unauthenticated(what + ": the server refused the credentials: " + said);
  }
  // A program git starts (ssh_command, a remote helper) that is not there:
  // the shell says "not found", which must not read as a missing repository.
  if (Has(lower, "cannot run ") || Has(lower, "unable to fork") || Has(lower, "sh: 1: ")) {
    return Status::Internal(what + ": git cannot start a program it needs (ssh_command?): " + said);
  }
  if (Has(lower, "host key verification failed") || Has(lower, "no matching host key")) {
    return Status::PermissionDenied(what + ": the server's SSH host key is not a known one "
                                           "(ssh_known_hosts_file): " + said);
  }
  if (Has(lower, "certificate verification failed") || Has(lower, "ssl certificate problem")) {
    return Status::PermissionDenied(what + ": the server's TLS certificate is not trusted (git's http.sslCAInfo "
                                           "or GIT_SSL_CAINFO names the authorities to trust): " + said);
  }
  if (http == 403) return Status::PermissionDenied(what + ": the server refused access (403): " + said);
  if (http == 429) return Status::RateLimited(what + ": the server answered 429 Too Many Requests", 60);
  if (http == 404 || http == 410 || Has(lower, "not found") || Has(lower, "could not be found") ||
      Has(lower, "does not appear to be a git repository") || Has(lower, "not exported") ||
      Has(lower, "no such repository") || Has(lower, "does not exist")) {
    return Status::NotFound(what + ": the server has no such repository: " + said);
  }
  if (http >= 500 || Has(lower, "could not resolve host") || Has(lower, "could not resolve hostname") ||
      Has(lower, "connection refused") || Has(lower, "connection timed out") || Has(lower, "timed out") ||
      Has(lower, "failed to connect") || Has(lower, "unable to access") || Has(lower, "early eof") ||
      Has(lower, "hung up unexpectedly") || Has(lower, "operation too slow") || Has(lower, "network is unreachable") ||
      Has(lower, "connection reset") || Has(lower, "broken pipe") || Has(lower, "ssl") ||
      Has(lower, "gnutls") || Has(lower, "connection closed")) {
    return Status::Unavailable(what + ": " + said);
  }
  return Status::Internal(what + ": " + said);
}

Result<RemoteUrl> GitCli::Parse(const std::string& text) const {
  Result<RemoteUrl> url = ParseRemoteUrl(text, settings_->protocols);
  if (!url.ok() || settings_->hosts.empty()) return url;
  const std::string host = AsciiLower(url->host);
  const std::string authority = AsciiLower(url->Authority());
  for (const std::string& allowed : settings_->hosts) {
    if (allowed == host || allowed == authority) return url;
  }
  std::string hosts;
  for (const std::string& allowed : settings_->hosts) hosts += (hosts.empty() ? "" : ", ") + allowed;
  return Status::InvalidArgument("git-remote cannot use the repository URL '" + url->text + "': its server " +
                                 url->Authority() + " is not one of the settings' \"hosts\" (" + hosts + ")");
}

GitCli::GitCli(const GitRemoteSettings* settings) : settings_(settings) {
  ssh_command_ = settings_->ssh_command + " -o BatchMode=yes -o ConnectTimeout=" +
                 std::to_string(std::min<int64_t>(settings_->timeout_seconds, 60)) +
                 " -o ServerAliveInterval=" + std::to_string(std::max<int64_t>(1, settings_->stall_seconds / 4)) +
                 " -o ServerAliveCountMax=4";
  if (!settings_->ssh_key_file.empty()) {
    ssh_command_ += " -o IdentitiesOnly=yes -i " + ShellQuote(settings_->ssh_key_file);
  }
  if (!settings_->ssh_known_hosts_file.empty()) {
    ssh_command_ +=
        " -o StrictHostKeyChecking=yes -o UserKnownHostsFile=" + ShellQuote(settings_->ssh_known_hosts_file);
  }
}

Result<std::string> GitCli::Password(const std::string& what) const {
  std::string password;
  if (!settings_->password_env.empty()) {
    const char* value = std::getenv(settings_->password_env.c_str());
    if (value == nullptr || value[0] == '\0') {
      return Status::Unauthenticated(what + ": the password in $" + settings_->password_env +
                                     " (password_env) is not set");
    }
    password = value;
  } else {
    std::ifstream in(settings_->password_file, std::ios::binary);
    std::ostringstream content;
    if (in) content << in.rdbuf();
    if (!in) {
      return Status::Unauthenticated(what + ": the password file " + settings_->password_file +
                                     " (password_file) cannot be read");
    }
    password = content.str();
  }
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
  if (password.empty() || password.find_first_of("\n\r") != std::string::npos) {
    return Status::Unauthenticated(what + ": the configured password is empty or holds a line break");
  }
  return password;
}

Result<std::string> GitCli::Run(const RemoteUrl& url, const std::vector<std::string>& args, const Deadline& deadline,
                                const std::string& what) const {
  shared::ChildCommand command;
  command.argv = {settings_->git};
  auto config = [&](const std::string& setting) {
    command.argv.push_back("-c");
    command.argv.push_back(setting);
  };
  config("credential.helper=");
  config("core.askPass=");
  config("protocol.allow=never");
  for (const std::string& protocol : settings_->protocols) config("protocol." + protocol + ".allow=always");
  config("http.lowSpeedLimit=1000");
  config("http.lowSpeedTime=" + std::to_string(settings_->stall_seconds));
  config("gc.auto=0");
  config("maintenance.auto=false");
  config("fetch.recurseSubmodules=false");
  config("submodule.recurse=false");

  std::string password;
  if (!settings_->password_env.empty() || !settings_->password_file.empty()) {
    Result<std::string> read = Password(what);
    if (!read.ok()) return read.status();
    password = std::move(read).value();
    const std::string username = !settings_->username.empty() ? settings_->username : url.user;
    if (username.empty()) {
      return Status::InvalidArgument(what + ": a password is configured but no user name: set \"username\" "
                                            "or name the user in the URL");
    }
    config(std::string("credential.helper=") + kCredentialHelper);
    command.set_env.push_back("TETHER_GIT_HOST=" + url.Authority());
    command.set_env.push_back("TETHER_GIT_USERNAME=" + username);
    command.set_env.push_back("TETHER_GIT_PASSWORD=" + password);
  }
  command.set_env.push_back("GIT_SSH_COMMAND=" + ssh_command_);
  command.set_env.push_back("GIT_SSH_VARIANT=ssh");
  command.set_env.push_back("GIT_TERMINAL_PROMPT=0");
  command.set_env.push_back("LC_ALL=C");
  command.set_env.push_back("LANGUAGE=C");
  for (const char* name : kUnsetEnv) command.unset_env.push_back(name);
  command.argv.insert(command.argv.end(), args.begin(), args.end());
  command.timeout = std::chrono::seconds(deadline.seconds);

  Result<shared::ChildOutcome> ran = shared::RunChild(command);
  if (!ran.ok()) {
    return Status::Internal(what + ": cannot run git (\"git\": " + settings_->git + "): " + ran.status().message());
  }
  std::string err = ran->err;
  Redact(password, &err);
  if (ran->timed_out) {
    return Status::Unavailable(what + ": git " + ran->How(command) + " (" + deadline.setting + ")");
  }
  if (!ran->ok()) return GitFailureStatus(err, what);
  if (ran->out_truncated) return Status::Internal(what + ": git's answer is larger than 64 MiB");
  return std::move(ran->out);
}

Result<std::vector<RemoteHead>> GitCli::ListHeads(const RemoteUrl& url) const {
  Result<std::string> out = Run(url, {"ls-remote", "--heads", "--", url.text}, ListDeadline(),
                                "listing the branches of " + url.text);
  if (!out.ok()) return out.status();
  std::vector<RemoteHead> heads;
  std::istringstream lines(*out);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    const std::string ref = line.substr(tab + 1);
    static const std::string kHeads = "refs/heads/";
    if (ref.compare(0, kHeads.size(), kHeads) != 0 || ref.size() == kHeads.size()) continue;
    heads.push_back({ref.substr(kHeads.size()), line.substr(0, tab)});
  }
  return heads;
}

Result<std::string> GitCli::DefaultBranch(const RemoteUrl& url) const {
  Result<std::string> out = Run(url, {"ls-remote", "--symref", "--", url.text, "HEAD"}, ListDeadline(),
                                "reading the default branch of " + url.text);
  if (!out.ok()) return out.status();
  std::istringstream lines(*out);
  std::string line;
  static const std::string kSymref = "ref: refs/heads/";
  while (std::getline(lines, line)) {
    if (line.compare(0, kSymref.size(), kSymref) != 0) continue;
    const size_t tab = line.find('\t');
    if (tab == std::string::npos || line.substr(tab + 1) != "HEAD") continue;
    return line.substr(kSymref.size(), tab - kSymref.size());
  }
  return std::string();
}

Status GitCli::Fetch(git_repository* /*repo*/, const std::string& git_dir, const std::string& url_text,
                     const std::string& context) {
  Result<RemoteUrl> url = Parse(url_text);
  if (!url.ok()) return url.status();
  // Every fetch keeps what it brings as one pack (no loose objects).
  Result<std::string> out = Run(*url,
                                {"--git-dir=" + git_dir, "-c", "fetch.unpackLimit=1", "fetch", "--prune", "--no-tags",
                                 "--no-write-fetch-head", "--quiet", "origin"},
                                FetchDeadline(), "git " + context + " from " + url->text);
  if (!out.ok()) return out.status();
  // With git's own gc off, packs pile up, one a fetch, and every object
  // lookup looks at each: past kMaxPacks they become one. Unreachable
  // objects (a commit a force push left behind) are kept in it. A repack
  // that fails changes nothing and is tried again after the next fetch.
  if (PackCount(git_dir) > kMaxPacks) {
    (void)Run(*url, {"--git-dir=" + git_dir, "repack", "-a", "-d", "--keep-unreachable", "-q"},
              FetchDeadline(), "git repack of the mirror of " + url->text);
  }
  return Status::Ok();
}

size_t PackCount(const std::string& git_dir) {
  std::error_code error;
  size_t packs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(git_dir + "/objects/pack", error)) {
    if (entry.path().extension() == ".pack") ++packs;
  }
  return packs;
}

}  // namespace git_remote
}  // namespace tether

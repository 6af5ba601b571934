#include "git_repo.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

namespace tether::testing {
namespace fs = std::filesystem;

namespace {

fs::path MakeTempDirectory(const char* prefix) {
  std::string pattern = (fs::temp_directory_path() / (std::string(prefix) + "XXXXXX")).string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) {
    throw std::runtime_error("cannot create a temporary directory from " + pattern + ": " +
                             std::error_code(errno, std::generic_category()).message());
  }
  return fs::absolute(fs::path(buffer.data()));
}

// A private HOME for every git command of the process, removed at exit.
const fs::path& IsolatedHome() {
  static const TempDir home;
  return home.path();
}

// The environment prefix that makes git ignore the caller's setup.
std::string GitCommandPrefix() {
  const std::string home = ShellQuote(IsolatedHome().string());
  return "env -u GIT_DIR -u GIT_WORK_TREE -u GIT_INDEX_FILE -u GIT_OBJECT_DIRECTORY"
         " -u GIT_ALTERNATE_OBJECT_DIRECTORIES -u GIT_CEILING_DIRECTORIES -u GIT_NAMESPACE"
         " -u GIT_CONFIG -u GIT_CONFIG_PARAMETERS -u GIT_CONFIG_COUNT"
         " HOME=" +
         home + " XDG_CONFIG_HOME=" + home +
         " GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0 LC_ALL=C"
         " GIT_AUTHOR_NAME='Tether Test' GIT_AUTHOR_EMAIL=test@tether.invalid"
         " GIT_COMMITTER_NAME='Tether Test' GIT_COMMITTER_EMAIL=test@tether.invalid"
         " git";
}

std::string TrimTrailingWhitespace(std::string text) {
  const size_t end = text.find_last_not_of(" \t\r\n");
  text.erase(end == std::string::npos ? 0 : end + 1);
  return text;
}

std::string ReadWholeFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Removes whatever is at `path` (a symlink is removed, not followed).
void RemoveIfPresent(const fs::path& path) {
  std::error_code error;
  if (fs::symlink_status(path, error).type() == fs::file_type::not_found) return;
  fs::remove_all(path);
}

// Makes every ancestor of `path` below `root` a real directory, removing
// files or symlinks that stand where a directory must be.
void PrepareParents(const fs::path& root, const fs::path& rel) {
  fs::path current = root;
  const fs::path parent = rel.parent_path();
  for (const fs::path& component : parent) {
    current /= component;
    std::error_code error;
    const fs::file_status status = fs::symlink_status(current, error);
    if (status.type() == fs::file_type::directory) continue;
    RemoveIfPresent(current);
    fs::create_directory(current);
  }
}

}  // namespace

std::string ShellQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  quoted += "'";
  return quoted;
}

std::string RunCommand(const std::string& shell_command, int* exit_code) {
  std::FILE* pipe = popen(shell_command.c_str(), "r");
  if (pipe == nullptr) {
    throw std::runtime_error("cannot run `" + shell_command +
                             "`: " + std::error_code(errno, std::generic_category()).message());
  }
  std::string output;
  char buffer[65536];
  size_t read = 0;
  while ((read = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, read);
  const int status = pclose(pipe);
  if (exit_code != nullptr) {
    if (status == -1) {
      *exit_code = -1;
    } else if (WIFEXITED(status)) {
      *exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      *exit_code = 128 + WTERMSIG(status);
    } else {
      *exit_code = -1;
    }
  }
  return output;
}

TempDir::TempDir() : path_(MakeTempDirectory("tether-test-")) {}

TempDir::~TempDir() {
  std::error_code ignored;  // a destructor must not throw; leftovers stay in /tmp
  fs::remove_all(path_, ignored);
}

GitRepo::GitRepo(fs::path dir) {
  fs::create_directories(dir);
  dir_ = fs::canonical(dir);
  Git("init -q -b main");
}

std::string GitRepo::url() const { return "file://" + dir_.string(); }

void GitRepo::Write(const std::string& rel, const std::string& content, bool executable) {
  PrepareParents(dir_, rel);
  const fs::path target = dir_ / rel;
  std::error_code error;
  const fs::file_type type = fs::symlink_status(target, error).type();
  if (type == fs::file_type::symlink || type == fs::file_type::directory) RemoveIfPresent(target);
  {
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) throw std::runtime_error("cannot write " + target.string());
  }
  fs::permissions(target, executable ? fs::perms(0755) : fs::perms(0644),
                  fs::perm_options::replace);
}

void GitRepo::Symlink(const std::string& rel, const std::string& target) {
  PrepareParents(dir_, rel);
  const fs::path link = dir_ / rel;
  RemoveIfPresent(link);
  fs::create_symlink(target, link);
}

void GitRepo::Remove(const std::string& rel) {
  const fs::path target = dir_ / rel;
  std::error_code error;
  if (fs::symlink_status(target, error).type() == fs::file_type::not_found) {
    throw std::runtime_error("cannot remove " + target.string() + ": it does not exist");
  }
  fs::remove_all(target);
}

void GitRepo::Move(const std::string& from, const std::string& to) {
  PrepareParents(dir_, to);
  Git("mv -- " + ShellQuote(from) + " " + ShellQuote(to));
}

std::string GitRepo::Commit(const std::string& message) {
  Git("add -A");
  Git("commit -q --allow-empty --no-verify -m " + ShellQuote(message));
  return Git("rev-parse HEAD");
}

std::string GitRepo::Git(const std::string& args) {
  const fs::path stderr_dir = MakeTempDirectory("tether-git-stderr-");
  const fs::path stderr_file = stderr_dir / "stderr";
  const std::string command = GitCommandPrefix() + " -C " + ShellQuote(dir_.string()) + " " + args +
                              " 2>" + ShellQuote(stderr_file.string());
  int exit_code = 0;
  std::string output;
  try {
    output = RunCommand(command, &exit_code);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(stderr_dir, ignored);
    throw;
  }
  const std::string errors = ReadWholeFile(stderr_file);
  std::error_code ignored;
  fs::remove_all(stderr_dir, ignored);
  if (exit_code != 0) {
    throw std::runtime_error("git " + args + " failed in " + dir_.string() + " (exit code " +
                             std::to_string(exit_code) + "): " + TrimTrailingWhitespace(errors));
  }
  return TrimTrailingWhitespace(std::move(output));
}

}  // namespace tether::testing

// Test support: temporary directories and real git repositories built with
// the git command line, for tests that need a repository to sync from.
//
// Every git command runs in an isolated environment: HOME and
// XDG_CONFIG_HOME point at a private temporary directory, GIT_CONFIG_NOSYSTEM
// is set, author and committer are fixed, and GIT_DIR-like variables of the
// calling process are removed. So neither the user's nor the system's git
// configuration changes what a test sees.
//
// Errors: every function throws std::runtime_error (with git's stderr) when
// something fails, except RunCommand, which reports the exit code instead.
// Catch2 reports such an exception as a failure of the test case.
//
// Thread safety: separate objects may be used from separate threads; one
// object is used by one thread at a time.
#ifndef TETHER_TESTS_SUPPORT_GIT_REPO_H_
#define TETHER_TESTS_SUPPORT_GIT_REPO_H_

#include <filesystem>
#include <string>

namespace tether::testing {

// A fresh, empty directory under the system's temporary directory, removed
// with everything in it when the object is destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Absolute path of the directory.
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A non-bare git repository with a working tree, on branch "main". Paths
// given to the methods are relative to the working tree and may contain any
// bytes except NUL (they are used as they are, not as UTF-8). The object
// does not own the directory: put it inside a TempDir.
class GitRepo {
 public:
  // Creates `dir` (and its parents) if needed and runs `git init -b main`.
  explicit GitRepo(std::filesystem::path dir);

  // Absolute path of the working tree.
  const std::filesystem::path& path() const { return dir_; }

  // "file://" followed by the absolute path (not percent-encoded).
  std::string url() const;

  // Writes `content` to `rel` with mode 0755 when `executable`, else 0644.
  // Creates missing directories and replaces whatever is in the way: a
  // symlink or directory at `rel`, a file where a parent directory must be.
  void Write(const std::string& rel, const std::string& content, bool executable = false);

  // Makes `rel` a symbolic link to `target` (which need not exist),
  // replacing whatever is at `rel`.
  void Symlink(const std::string& rel, const std::string& target);

  // Removes the file, symlink or directory `rel` from the working tree;
  // throws if there is nothing there. The next Commit records the removal.
  void Remove(const std::string& rel);

  // `git mv` of a tracked path; creates the parent directory of `to`.
  void Move(const std::string& from, const std::string& to);

  // `git add -A` then `git commit --allow-empty`; returns the new commit's
  // full id (40 hex digits).
  std::string Commit(const std::string& message);

  // Runs `git -C <path()> <args>` in the isolated environment. `args` is
  // shell text: quote arguments that need it. Returns stdout without its
  // trailing whitespace; throws std::runtime_error with git's stderr when
  // git exits with a non-zero code.
  std::string Git(const std::string& args);

 private:
  std::filesystem::path dir_;
};

// Runs `shell_command` with /bin/sh and returns everything it wrote to
// stdout (binary-safe, untrimmed); stderr is not captured. Stores the exit
// code in *exit_code when given (128 + signal number when killed by a
// signal). Does not throw on a non-zero exit; throws std::runtime_error only
// when the command cannot be started.
std::string RunCommand(const std::string& shell_command, int* exit_code = nullptr);

// `text` quoted for /bin/sh (single quotes), byte-exact.
std::string ShellQuote(const std::string& text);

}  // namespace tether::testing

#endif  // TETHER_TESTS_SUPPORT_GIT_REPO_H_

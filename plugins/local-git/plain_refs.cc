#include "plain_refs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace tether {
namespace local_git {
namespace {

// packed-refs larger than this is left to libgit2 (a GitHub mirror's
// 22,000 refs take about 1.6 MB).
constexpr off_t kMaxPackedRefsBytes = 64 << 20;
constexpr off_t kMaxLooseRefBytes = 4096;

bool LstatIs(const std::string& path, mode_t type, struct stat* st) {
  return ::lstat(path.c_str(), st) == 0 && (st->st_mode & S_IFMT) == type;
}

// HEAD a file, "objects" and "refs" directories, and no "commondir" (a
// linked worktree's git directory, whose refs live elsewhere).
bool IsPlainRepository(const std::string& dir) {
  struct stat st;
  if (!LstatIs(dir + "/HEAD", S_IFREG, &st)) return false;
  if (!LstatIs(dir + "/objects", S_IFDIR, &st)) return false;
  if (!LstatIs(dir + "/refs", S_IFDIR, &st)) return false;
  return ::lstat((dir + "/commondir").c_str(), &st) != 0 && errno == ENOENT;
}

bool IsPlainComponentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-' || c == '+';
}

bool IsPlainRefName(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  size_t start = 0;
  while (true) {
    const size_t slash = name.find('/', start);
    const std::string_view part = name.substr(start, slash == std::string_view::npos ? name.npos : slash - start);
    if (part.empty() || part.front() == '.' || part.find("..") != part.npos) return false;
    if (part.size() >= 5 && part.substr(part.size() - 5) == ".lock") return false;
    for (char c : part) {
      if (!IsPlainComponentChar(c)) return false;
    }
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

bool IsPlainCommitId(std::string_view id) {
  if (id.size() != 40 && id.size() != 64) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

enum class ReadResult { kRead, kMissing, kError };

// The whole of regular file `path` (not a symlink) into *out, when it is at
// most `max_bytes` long.
ReadResult ReadRegularFile(const std::string& path, off_t max_bytes, std::string* out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT || errno == ENOTDIR ? ReadResult::kMissing : ReadResult::kError;
  ReadResult result = ReadResult::kError;
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= max_bytes) {
    out->resize(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (done < out->size()) {
      const ssize_t n = ::read(fd, &(*out)[done], out->size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // an error, or shorter than fstat said: rewritten under us
      done += static_cast<size_t>(n);
    }
    if (done == out->size()) result = ReadResult::kRead;
  }
  ::close(fd);
  return result;
}

// Whether `text` has a line that is exactly `line` ("\n" line ends).
bool HasLine(std::string_view text, std::string_view line) {
  for (size_t at = text.find(line); at != text.npos; at = text.find(line, at + 1)) {
    const size_t end = at + line.size();
    if ((at == 0 || text[at - 1] == '\n') && (end == text.size() || text[end] == '\n')) return true;
  }
  return false;
}

}  // namespace

std::string PlainGitDir(const std::string& path) {
  const uid_t me = ::geteuid();
  struct stat st;
  // `path` itself may be a symlink (libgit2 follows it too); what it holds
  // may not.
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != me) return "";
  if (IsPlainRepository(path)) return path;
  const std::string dot_git = path + "/.git";
  if (!LstatIs(dot_git, S_IFDIR, &st) || st.st_uid != me) return "";
  return IsPlainRepository(dot_git) ? dot_git : "";
}

bool PlainBranchIsAt(const std::string& git_dir, const std::string& branch, const std::string& commit) {
  if (git_dir.empty() || !IsPlainRefName(branch) || !IsPlainCommitId(commit)) return false;
  std::string loose;
  switch (ReadRegularFile(git_dir + "/refs/heads/" + branch, kMaxLooseRefBytes, &loose)) {
    case ReadResult::kRead:
      return loose == commit + "\n" || loose == commit;
    case ReadResult::kError:
      return false;
    case ReadResult::kMissing:
      break;  // packed, if anywhere
  }
  std::string packed;
  if (ReadRegularFile(git_dir + "/packed-refs", kMaxPackedRefsBytes, &packed) != ReadResult::kRead) return false;
  return HasLine(packed, commit + " refs/heads/" + branch);
}

}  // namespace local_git
}  // namespace tether

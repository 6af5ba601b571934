#include "plain_refs.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
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

// Opens regular file `path` (not a symlink) of at most `max_bytes`.
ReadResult OpenRegularFile(const std::string& path, off_t max_bytes, int* fd_out, off_t* size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT || errno == ENOTDIR ? ReadResult::kMissing : ReadResult::kError;
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > max_bytes) {
    ::close(fd);
    return ReadResult::kError;
  }
  *fd_out = fd;
  *size = st.st_size;
  return ReadResult::kRead;
}

// The whole of a small regular file into *out.
ReadResult ReadSmallFile(const std::string& path, off_t max_bytes, std::string* out) {
  int fd = -1;
  off_t size = 0;
  const ReadResult opened = OpenRegularFile(path, max_bytes, &fd, &size);
  if (opened != ReadResult::kRead) return opened;
  out->resize(static_cast<size_t>(size));
  size_t done = 0;
  while (done < out->size()) {
    const ssize_t n = ::read(fd, &(*out)[done], out->size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // an error, or shorter than fstat said: rewritten under us
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return done == out->size() ? ReadResult::kRead : ReadResult::kError;
}

// Whether `text` has a line that is exactly `line` ("\n" line ends).
// memmem, not std::string_view::find: every line of packed-refs starts
// with a hex digit, and find's first-character scan stops at most of them
// (with a copy of the file, 5.1 ms of a no-op over 20,002 packed refs;
// mapped and with memmem, 0.2 ms).
bool HasLine(std::string_view text, std::string_view line) {
  const char* const begin = text.data();
  const char* const end = begin + text.size();
  for (const char* at = begin; at < end;) {
    const void* found = ::memmem(at, static_cast<size_t>(end - at), line.data(), line.size());
    if (found == nullptr) return false;
    const char* hit = static_cast<const char*>(found);
    const char* after = hit + line.size();
    if ((hit == begin || hit[-1] == '\n') && (after == end || *after == '\n')) return true;
    at = hit + 1;
  }
  return false;
}

// Whether packed-refs file `path` has line `line`. The file is mapped, not
// copied: a mirror's is megabytes, of which one line matters.
bool PackedRefsHasLine(const std::string& path, std::string_view line) {
  int fd = -1;
  off_t size = 0;
  if (OpenRegularFile(path, kMaxPackedRefsBytes, &fd, &size) != ReadResult::kRead) return false;
  if (size == 0) {
    ::close(fd);
    return false;
  }
  void* mapped = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (mapped == MAP_FAILED) return false;
  // git replaces packed-refs by renaming a new file over it, so the mapped
  // file never changes under us.
  const bool found = HasLine(std::string_view(static_cast<const char*>(mapped), static_cast<size_t>(size)), line);
  ::munmap(mapped, static_cast<size_t>(size));
  return found;
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
  switch (ReadSmallFile(git_dir + "/refs/heads/" + branch, kMaxLooseRefBytes, &loose)) {
    case ReadResult::kRead:
      return loose == commit + "\n" || loose == commit;
    case ReadResult::kError:
      return false;
    case ReadResult::kMissing:
      break;  // packed, if anywhere
  }
  return PackedRefsHasLine(git_dir + "/packed-refs", commit + " refs/heads/" + branch);
}

}  // namespace local_git
}  // namespace tether

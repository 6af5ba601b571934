#include "file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace tether {
namespace github {
namespace {

std::string Errno() { return std::strerror(errno); }

}  // namespace

Status ReadWholeFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return Status::NotFound("'" + path + "' does not exist");
    return Status::Internal("cannot read '" + path + "': " + Errno());
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return Status::Internal("cannot read '" + path + "': " + Errno());
  *out = content.str();
  return Status::Ok();
}

Status MakeDirectories(const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error) return Status::Internal("cannot create directory '" + path + "': " + error.message());
  return Status::Ok();
}

Status WriteFileAtomically(const std::string& path, const std::string& content) {
  const std::filesystem::path target(path);
  TETHER_RETURN_IF_ERROR(MakeDirectories(target.parent_path().string()));
  static std::atomic<unsigned> counter{0};
  const std::string temporary = path + ".tmp-" + std::to_string(getpid()) + "-" +
                                std::to_string(counter.fetch_add(1));
  const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Internal("cannot write '" + temporary + "': " + Errno());
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string reason = Errno();
      close(fd);
      unlink(temporary.c_str());
      return Status::Internal("cannot write '" + temporary + "': " + reason);
    }
    written += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    const std::string reason = Errno();
    unlink(temporary.c_str());
    return Status::Internal("cannot write '" + temporary + "': " + reason);
  }
  if (rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string reason = Errno();
    unlink(temporary.c_str());
    return Status::Internal("cannot replace '" + path + "': " + reason);
  }
  return Status::Ok();
}

}  // namespace github
}  // namespace tether

#include "git-common/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace tether {
namespace git_common {

FileLock::~FileLock() { Unlock(); }

Status FileLock::Lock(const std::string& path) {
  Unlock();
  std::error_code error;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), error);
  if (error) return Status::Internal("cannot create the folder of lock file '" + path + "': " + error.message());
  fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) return Status::Internal("cannot open lock file '" + path + "': " + std::strerror(errno));
  while (flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const std::string reason = std::strerror(errno);
    Unlock();
    return Status::Internal("cannot lock '" + path + "': " + reason);
  }
  return Status::Ok();
}

void FileLock::Unlock() {
  if (fd_ < 0) return;
  flock(fd_, LOCK_UN);
  close(fd_);
  fd_ = -1;
}

}  // namespace git_common
}  // namespace tether

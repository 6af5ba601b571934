#include "shared/sqlite_write_behind.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

namespace tether::db {
namespace {

#ifdef __linux__

// A file the thread asks writeback for, by identity: it uses a descriptor
// SQLite has open on it and never opens one itself. Closing a descriptor of
// the database file would drop every POSIX lock this process holds on it,
// SQLite's included: another process could then take the file's exclusive
// lock while our connections still use the WAL (and delete it as its last
// connection closed).
class Watched {
 public:
  explicit Watched(std::string path) : path_(std::move(path)) {}

  // Asks the kernel to start writing out what the file holds dirty.
  void StartWriteback() {
    if (!known_ && !Identify()) return;  // the WAL may not exist yet
    if (fd_ < 0 || !Is(fd_)) fd_ = FindDescriptor();
    // The descriptor may be closed, and its number reused, at any moment:
    // then this asks writeback of another file, or fails. Both harmless.
    if (fd_ >= 0) sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE);
  }

 private:
  bool Identify() {
    struct stat st;
    if (stat(path_.c_str(), &st) != 0) return false;
    dev_ = st.st_dev;
    ino_ = st.st_ino;
    known_ = true;
    return true;
  }

  bool Is(int fd) const {
    struct stat st;
    return fstat(fd, &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_;
  }

  // One of this process's descriptors open on the file, or -1.
  int FindDescriptor() const {
    DIR* dir = opendir("/proc/self/fd");
    if (dir == nullptr) return -1;
    int found = -1;
    while (const dirent* entry = readdir(dir)) {
      char* end = nullptr;
      const long fd = std::strtol(entry->d_name, &end, 10);
      if (end == entry->d_name || *end != '\0' || fd == dirfd(dir)) continue;
      if (Is(static_cast<int>(fd))) {
        found = static_cast<int>(fd);
        break;
      }
    }
    closedir(dir);  // a directory's descriptor: no lock of SQLite's is on it
    return found;
  }

  const std::string path_;
  bool known_ = false;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  int fd_ = -1;
};

class FileWriteBehind : public WriteBehind {
 public:
  explicit FileWriteBehind(const std::string& database)
      : files_{Watched(database), Watched(database + "-wal")}, thread_([this] { Run(); }) {}

  ~FileWriteBehind() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!wake_.wait_for(lock, std::chrono::milliseconds(kIntervalMs), [this] { return stop_; })) {
      for (Watched& file : files_) file.StartWriteback();
    }
  }

  std::array<Watched, 2> files_;  // only the thread touches them until it is joined
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;  // under mutex_
  std::thread thread_;  // last: starts once the members above exist
};

#endif

}  // namespace

std::unique_ptr<WriteBehind> StartWriteBehind(soci::session& session) {
#ifdef __linux__
  if (session.get_backend_name() != "sqlite3") return nullptr;
  auto* backend = static_cast<soci::sqlite3_session_backend*>(session.get_backend());
  const char* file = sqlite_api::sqlite3_db_filename(backend->conn_, "main");
  if (file == nullptr || file[0] == '\0') return nullptr;
  return std::make_unique<FileWriteBehind>(file);
#else
  (void)session;
  return nullptr;
#endif
}

}  // namespace tether::db

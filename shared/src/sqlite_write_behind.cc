#include "shared/sqlite_write_behind.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

namespace tether::db {
namespace {

#ifdef __linux__

class FileWriteBehind : public WriteBehind {
 public:
  explicit FileWriteBehind(const std::string& database)
      : paths_{database, database + "-wal"}, thread_([this] { Run(); }) {}

  ~FileWriteBehind() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
    for (int fd : fds_) {
      if (fd >= 0) close(fd);
    }
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!wake_.wait_for(lock, std::chrono::milliseconds(kIntervalMs), [this] { return stop_; })) {
      for (size_t i = 0; i < paths_.size(); ++i) {
        // Writeback is the file's, whichever descriptor asks: a read-only
        // one cannot change the file.
        if (fds_[i] < 0) fds_[i] = open(paths_[i].c_str(), O_RDONLY | O_CLOEXEC);
        if (fds_[i] >= 0) sync_file_range(fds_[i], 0, 0, SYNC_FILE_RANGE_WRITE);
      }
    }
  }

  const std::array<std::string, 2> paths_;
  std::array<int, 2> fds_{-1, -1};  // only the thread touches them until it is joined
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

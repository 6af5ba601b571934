// ShutdownWatchdog: ends the process if a shutdown takes longer than its
// grace, so that a sync stuck in a provider call that does not return
// cannot hold a supervisor's stop. Used by `tether serve` and `tether
// worker`.
//
// Thread safety: Arm may be called from any thread (once counts); the
// destructor disarms it and waits for its thread.
#ifndef TETHER_ENGINE_SERVER_SHUTDOWN_WATCHDOG_H_
#define TETHER_ENGINE_SERVER_SHUTDOWN_WATCHDOG_H_

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "engine/log/log.h"

namespace tether::server {

class ShutdownWatchdog {
 public:
  ~ShutdownWatchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // `running` says how many syncs still run, for the last log line.
  void Arm(std::chrono::seconds grace, std::function<int()> running) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (thread_.joinable() || done_) return;
    thread_ = std::thread([this, grace, running = std::move(running)] {
      std::unique_lock<std::mutex> lock(mutex_);
      if (wake_.wait_for(lock, grace, [this] { return done_; })) return;
      logging::LogError("the shutdown took longer than " + std::to_string(grace.count()) + " s (" +
                            std::to_string(running()) +
                            " sync(s) still running); exiting now: their runs are recorded interrupted by the next "
                            "run of their projects, and nothing they wrote was committed",
                        {{"grace_seconds", static_cast<int64_t>(grace.count())}});
      std::_Exit(1);
    });
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace tether::server

#endif  // TETHER_ENGINE_SERVER_SHUTDOWN_WATCHDOG_H_

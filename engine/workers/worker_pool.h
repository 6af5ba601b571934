// WorkerPool: a fixed number of threads taking tasks from a bounded queue,
// each thread with its own database connection (db::Database is not thread
// safe), opened on first use. The server answers API requests on one pool
// and runs syncs on another, beside the event loop, so that neither a slow
// query nor a sync ever blocks it.
//
// Admission is explicit: TryReserve takes one of `threads + queue_capacity`
// places (or fails at once: the caller answers 503), and Submit fills it.
// Reserving first lets a caller claim something (a project's lease) only
// when it is sure the task will be taken.
//
// Shutdown: no new reservations; tasks already queued are run (kDrain) or
// handed to their `cancel` function instead (kCancelQueued); running tasks
// finish; the threads are joined.
//
// Thread safety: every method may be called from any thread. A task runs on
// one worker thread and gets that thread's WorkerContext.
#ifndef TETHER_ENGINE_WORKERS_WORKER_POOL_H_
#define TETHER_ENGINE_WORKERS_WORKER_POOL_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/db/database.h"
#include "tether/status.h"

namespace tether::workers {

// What a task gets from its worker thread.
class WorkerContext {
 public:
  explicit WorkerContext(std::string database_url) : database_url_(std::move(database_url)) {}

  // The thread's connection, opened on first use and again when the last
  // one no longer works (Unavailable when it cannot be opened; the next call
  // tries again).
  Result<db::Database*> database();
  // Drops the connection (after an error that may have broken it); the next
  // database() call opens a new one.
  void ResetDatabase() { database_.reset(); }

 private:
  std::string database_url_;
  std::unique_ptr<db::Database> database_;
};

class WorkerPool {
 public:
  using Task = std::function<void(WorkerContext&)>;
  enum class ShutdownMode { kDrain, kCancelQueued };

  // A place in the pool, taken by TryReserve and filled by Submit. Dropping
  // an unused ticket gives the place back.
  class Ticket {
   public:
    Ticket(Ticket&& other) noexcept : pool_(other.pool_) { other.pool_ = nullptr; }
    Ticket& operator=(Ticket&&) = delete;
    Ticket(const Ticket&) = delete;
    ~Ticket();

   private:
    friend class WorkerPool;
    explicit Ticket(WorkerPool* pool) : pool_(pool) {}
    WorkerPool* pool_;
  };

  // `name` appears in thread names and messages.
  WorkerPool(std::string name, std::string database_url, int threads, int queue_capacity);
  ~WorkerPool();  // Shutdown(kDrain) unless already shut down

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // nullopt when the pool is full or shutting down.
  std::optional<Ticket> TryReserve();
  // Queues `task` in the reserved place. `cancel` (may be empty) runs instead
  // of `task` when a kCancelQueued shutdown finds the task still queued.
  void Submit(Ticket ticket, Task task, Task cancel = nullptr);
  // TryReserve + Submit; false when the pool is full or shutting down.
  bool TrySubmit(Task task);

  // Called on the worker's thread after each task (or its cancel) ended and
  // its place was given back, so that whoever it wakes finds the place free.
  void OnTaskDone(std::function<void()> done);

  void Shutdown(ShutdownMode mode);

  int running() const;
  int queued() const;

 private:
  struct Item {
    Task task;
    Task cancel;
  };
  void WorkerLoop(int index);
  void Release();

  const std::string name_;
  const std::string database_url_;
  const int capacity_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  std::function<void()> on_done_;  // under mutex_
  int reserved_ = 0;  // places taken: reserved, queued or running
  int running_ = 0;
  bool stopping_ = false;
  bool cancel_queued_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace tether::workers

#endif  // TETHER_ENGINE_WORKERS_WORKER_POOL_H_

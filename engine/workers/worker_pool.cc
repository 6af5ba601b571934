#include "engine/workers/worker_pool.h"

#include <pthread.h>

#include <cstdio>
#include <exception>

#include "engine/log/log.h"

namespace tether::workers {

Result<db::Database*> WorkerContext::database() {
  // A connection the server ended (a restart, an idle transaction cut off
  // while this process was frozen) is replaced, not reused forever.
  if (database_ && !database_->Usable()) database_.reset();
  if (!database_) {
    Result<std::unique_ptr<db::Database>> opened = db::Database::Open(database_url_);
    if (!opened.ok()) return opened.status();
    database_ = std::move(opened).value();
  }
  return database_.get();
}

WorkerPool::Ticket::~Ticket() {
  if (pool_ != nullptr) pool_->Release();
}

WorkerPool::WorkerPool(std::string name, std::string database_url, int threads, int queue_capacity)
    : name_(std::move(name)), database_url_(std::move(database_url)), capacity_(threads + queue_capacity) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this, i] { WorkerLoop(i); });
}

WorkerPool::~WorkerPool() { Shutdown(ShutdownMode::kDrain); }

std::optional<WorkerPool::Ticket> WorkerPool::TryReserve() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_ || reserved_ >= capacity_) return std::nullopt;
  ++reserved_;
  return Ticket(this);
}

void WorkerPool::Release() {
  std::lock_guard<std::mutex> lock(mutex_);
  --reserved_;
}

void WorkerPool::Submit(Ticket ticket, Task task, Task cancel) {
  ticket.pool_ = nullptr;  // the place now belongs to the queued item
  std::lock_guard<std::mutex> lock(mutex_);
  queue_.push_back(Item{std::move(task), std::move(cancel)});
  wake_.notify_one();
}

bool WorkerPool::TrySubmit(Task task) {
  std::optional<Ticket> ticket = TryReserve();
  if (!ticket) return false;
  Submit(std::move(*ticket), std::move(task));
  return true;
}

void WorkerPool::OnTaskDone(std::function<void()> done) {
  std::lock_guard<std::mutex> lock(mutex_);
  on_done_ = std::move(done);
}

void WorkerPool::Shutdown(ShutdownMode mode) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopping_) {
      stopping_ = true;
      cancel_queued_ = mode == ShutdownMode::kCancelQueued;
    }
    wake_.notify_all();
  }
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

int WorkerPool::running() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return running_;
}

int WorkerPool::queued() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int>(queue_.size());
}

void WorkerPool::WorkerLoop(int index) {
  const std::string thread_name = (name_ + "-" + std::to_string(index)).substr(0, 15);
  pthread_setname_np(pthread_self(), thread_name.c_str());
  WorkerContext context(database_url_);
  for (;;) {
    Item item;
    bool cancel = false;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left
      item = std::move(queue_.front());
      queue_.pop_front();
      cancel = cancel_queued_;
      ++running_;
    }
    Task& run = cancel ? item.cancel : item.task;
    if (run) {
      // Tasks report their errors themselves; an exception here is a bug,
      // and must not take the worker (and the process) down.
      try {
        run(context);
      } catch (const std::exception& e) {
        logging::LogError(name_ + " worker: a task threw: " + e.what());
      } catch (...) {
        logging::LogError(name_ + " worker: a task threw");
      }
    }
    std::function<void()> done;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --running_;
      --reserved_;
      done = on_done_;
    }
    if (done) done();
  }
}

}  // namespace tether::workers

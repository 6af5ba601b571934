#include "engine/sync/event_log.h"

#include <chrono>
#include <utility>

#include "shared/clock.h"
#include "engine/db/database.h"
#include "engine/db/event_store.h"

namespace tether::sync {

EventLog::EventLog(std::string database_url) : database_url_(std::move(database_url)) {
  if (!database_url_.empty()) writer_ = std::thread([this] { WriterLoop(); });
}

EventLog::~EventLog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
}

void EventLog::AddListener(Listener listener) {
  std::lock_guard<std::mutex> lock(listeners_mutex_);
  listeners_.push_back(std::move(listener));
}

void EventLog::AddPersistedListener(PersistedListener listener) {
  std::lock_guard<std::mutex> lock(listeners_mutex_);
  persisted_listeners_.push_back(std::move(listener));
}

void EventLog::Emit(Event event) {
  event.created_at = NowIso8601();
  {
    // The seq and the place in the writer's queue are taken together, so
    // that batches are persisted in seq order.
    std::lock_guard<std::mutex> lock(mutex_);
    event.seq = ++next_seq_;
    if (!database_url_.empty()) {
      queue_.push_back(event);
      ++emitted_;
    }
  }
  if (!database_url_.empty()) wake_.notify_one();
  std::lock_guard<std::mutex> lock(listeners_mutex_);
  for (const Listener& listener : listeners_) listener(event);
}

void EventLog::SetBatchDelay(std::chrono::milliseconds delay) {
  std::lock_guard<std::mutex> lock(mutex_);
  batch_delay_ = delay;
}

int EventLog::writer_connections() const { return writer_connections_.load(); }

Status EventLog::Flush(db::Database* db) {
  if (db != nullptr && !database_url_.empty()) {
    // What the writer has not taken: written here, in order after any batch
    // the writer is writing (it holds persist_mutex_ until it is done).
    std::lock_guard<std::mutex> persist(persist_mutex_);
    std::deque<Event> batch;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      batch.swap(queue_);
    }
    if (!batch.empty()) {
      const size_t count = batch.size();
      Status status = Persist(std::move(batch), nullptr, db);
      std::lock_guard<std::mutex> lock(mutex_);
      Persisted(status, count);
    }
  }
  std::unique_lock<std::mutex> lock(mutex_);
  ++flushing_;
  wake_.notify_all();  // a writer waiting out its batch delay writes now
  uint64_t target = emitted_;
  drained_.wait(lock, [&] { return persisted_ >= target || writer_.get_id() == std::thread::id(); });
  --flushing_;
  return first_error_;
}

void EventLog::WriterLoop() {
  std::unique_ptr<db::Database> db;
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() && stopping_) break;
    if (batch_delay_.count() > 0 && !stopping_ && flushing_ == 0) {
      // More events join the batch meanwhile; a Flush or the end cuts the
      // wait short.
      wake_.wait_for(lock, batch_delay_, [&] { return stopping_ || flushing_ > 0; });
    }
    lock.unlock();
    std::lock_guard<std::mutex> persist(persist_mutex_);
    lock.lock();
    if (queue_.empty()) continue;  // a Flush(db) wrote them meanwhile
    std::deque<Event> batch;
    batch.swap(queue_);
    lock.unlock();
    const size_t count = batch.size();
    Status status = Persist(std::move(batch), &db, nullptr);
    lock.lock();
    Persisted(status, count);
  }
  drained_.notify_all();
}

Status EventLog::Persist(std::deque<Event> batch, std::unique_ptr<db::Database>* owned, db::Database* db) {
  // One transaction per batch; retried while the database is busy (a
  // sync's write transaction on SQLite), then given up with an error.
  Status status;
  std::vector<PersistedEvent> committed;
  std::vector<db::NewEvent> rows;
  rows.reserve(batch.size());
  for (const Event& e : batch) {
    rows.push_back(
        db::NewEvent{e.project_id, e.run_id, e.tenant, EventType(e.body), EventPayloadJson(e.body), e.created_at});
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kGiveUpSeconds);
  do {
    if (db == nullptr && !*owned) {
      Result<std::unique_ptr<db::Database>> opened = db::Database::Open(database_url_);
      if (!opened.ok()) {
        status = opened.status();
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        continue;
      }
      *owned = std::move(opened).value();
      ++writer_connections_;
    }
    db::Database* on = db != nullptr ? db : owned->get();
    Result<std::vector<int64_t>> ids = db::EventStore(on).Insert(rows);
    status = ids.status();
    // A connection the server ended is replaced at the next try.
    if (!ids.ok() && db == nullptr && !(*owned)->Usable()) owned->reset();
    committed.clear();
    if (ids.ok()) {
      for (size_t i = 0; i < batch.size(); ++i) {
        committed.push_back(PersistedEvent{(*ids)[i], batch[i], std::move(rows[i].payload)});
      }
    }
    if (status.code() != StatusCode::kUnavailable) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);

  if (status.ok()) {
    // One batch at a time, in seq order: batches arrive in id order too.
    std::lock_guard<std::mutex> listeners_lock(listeners_mutex_);
    for (const PersistedListener& listener : persisted_listeners_) listener(committed);
  }
  return status;
}

void EventLog::Persisted(const Status& status, size_t count) {
  if (!status.ok() && first_error_.ok()) {
    first_error_ = status.WithContext("cannot persist " + std::to_string(count) + " events");
  }
  persisted_ += count;
  drained_.notify_all();
}

}  // namespace tether::sync

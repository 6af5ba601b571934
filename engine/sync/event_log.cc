#include "engine/sync/event_log.h"

#include <chrono>
#include <utility>

#include <soci/soci.h>

#include "shared/clock.h"
#include "engine/db/database.h"

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

Status EventLog::Flush() {
  std::unique_lock<std::mutex> lock(mutex_);
  uint64_t target = emitted_;
  drained_.wait(lock, [&] { return persisted_ >= target || writer_.get_id() == std::thread::id(); });
  return first_error_;
}

void EventLog::WriterLoop() {
  std::unique_ptr<db::Database> db;
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() && stopping_) break;
    std::deque<Event> batch;
    batch.swap(queue_);
    lock.unlock();

    // One transaction per batch; retried while the database is busy (a
    // sync's write transaction on SQLite), then given up with an error.
    Status status;
    std::vector<PersistedEvent> committed;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kGiveUpSeconds);
    do {
      if (!db) {
        Result<std::unique_ptr<db::Database>> opened = db::Database::Open(database_url_);
        if (!opened.ok()) {
          status = opened.status();
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          continue;
        }
        db = std::move(opened).value();
      }
      committed.clear();  // ids of a rolled-back attempt are not the events'
      status = db->InTransaction([&]() -> Status {
        std::string bound;  // the tenant the transaction runs as, once set
        for (const Event& e : batch) {
          if (db->dialect() == db::Dialect::kPostgres && !e.tenant.empty() && e.tenant != bound) {
            std::string previous;
            db->session() << "SELECT set_config('tether.tenant', :t, true)", soci::use(e.tenant), soci::into(previous);
            bound = e.tenant;
          }
          long long project = e.project_id, run = e.run_id;
          soci::indicator project_ind = e.project_id > 0 ? soci::i_ok : soci::i_null;
          soci::indicator run_ind = e.run_id > 0 ? soci::i_ok : soci::i_null;
          long long id = 0;
          const std::string type = EventType(e.body);
          std::string payload = EventPayloadJson(e.body);
          db->session() << "INSERT INTO events (project_id, run_id, type, payload, created_at)"
                           " VALUES (:p, :r, :t, :j, :c) RETURNING id",
              soci::use(project, project_ind), soci::use(run, run_ind), soci::use(type),
              soci::use(payload), soci::use(e.created_at), soci::into(id);
          committed.push_back(PersistedEvent{static_cast<int64_t>(id), e, std::move(payload)});
        }
        return Status::Ok();
      });
      if (status.code() != StatusCode::kUnavailable) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < deadline);

    if (status.ok()) {
      // One writer commits in id order, so batches arrive in id order too.
      std::lock_guard<std::mutex> listeners_lock(listeners_mutex_);
      for (const PersistedListener& listener : persisted_listeners_) listener(committed);
    }
    lock.lock();
    if (!status.ok() && first_error_.ok()) {
      first_error_ = status.WithContext("cannot persist " + std::to_string(batch.size()) + " events");
    }
    persisted_ += batch.size();
    drained_.notify_all();
  }
  drained_.notify_all();
}

}  // namespace tether::sync

// EventLog: the events of syncs (phase started, progress, finished, failed;
// run finished), delivered at once to in-process listeners and persisted to
// the events table by a background writer with its own connection.
//
// Why a background writer: on SQLite a sync's write transaction holds the
// database's only write lock for as long as it runs; an event insert on the
// sync's thread would wait for that very transaction. The writer waits
// instead, and the sync never slows down for its events.
//
// Thread safety: Emit, AddListener and Flush may be called from any thread.
// Listeners are called on the emitting thread, under no lock of the log's;
// they must be quick and must not call back into the log.
#ifndef TETHER_ENGINE_SYNC_EVENT_LOG_H_
#define TETHER_ENGINE_SYNC_EVENT_LOG_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tether/status.h"

namespace tether::sync {

struct Event {
  int64_t project_id = 0;
  int64_t run_id = 0;       // 0 when not tied to a run
  std::string type;         // "run.started", "phase.started", "phase.progress", ...
  std::string payload_json; // a JSON object
  std::string created_at;   // filled by Emit
};

class EventLog {
 public:
  using Listener = std::function<void(const Event&)>;

  // Persists to the database at `database_url`; an empty URL keeps events
  // in memory only (listeners still see them).
  explicit EventLog(std::string database_url);
  ~EventLog();  // flushes what is queued, then stops the writer

  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  void AddListener(Listener listener);
  void Emit(Event event);

  // Waits until every event emitted so far is persisted. Returns the first
  // error the writer met (events it could not write are dropped after it
  // retried for `kGiveUpSeconds`).
  Status Flush();

  static constexpr int kGiveUpSeconds = 120;

 private:
  void WriterLoop();

  std::string database_url_;
  std::mutex listeners_mutex_;
  std::vector<Listener> listeners_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::deque<Event> queue_;
  uint64_t emitted_ = 0;
  uint64_t persisted_ = 0;
  bool stopping_ = false;
  Status first_error_;
  std::thread writer_;
};

}  // namespace tether::sync

#endif  // TETHER_ENGINE_SYNC_EVENT_LOG_H_

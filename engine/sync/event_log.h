// EventLog: the events of syncs (sync_event.h: phase started, progress,
// finished, failed; run finished), delivered as typed values at once to
// in-process listeners and persisted to the events table, as JSON, by a
// background writer with its own connection.
//
// Why a background writer: on SQLite a sync's write transaction holds the
// database's only write lock for as long as it runs; an event insert on the
// sync's thread would wait for that very transaction. The writer waits
// instead, and the sync never slows down for its events.
//
// Two kinds of listeners: a Listener sees each event at once, on the
// emitting thread, before it has an id (possibly after a PersistedListener
// saw it: compare `seq`); a PersistedListener sees each batch
// the writer committed, with the ids the events table gave them and the
// JSON it stored, in id order, on the writer thread (this is what the SSE stream follows: an id a
// client may resume from is an id in the table).
//
// A process that runs one short sync and exits (the CLI) gives the writer a
// batch delay (SetBatchDelay): it writes a batch that long after its first
// event, and Flush(db) at the end writes whatever is still queued on the
// caller's own connection. A no-op sync then never opens the writer's
// connection nor competes with the run's transactions for SQLite's lock;
// a long one has its events written every delay, as one transaction each.
//
// Thread safety: Emit, AddListener, AddPersistedListener, SetBatchDelay
// and Flush may be called from any thread. Listeners are called one at a time, under a lock
// of the log's: they must be quick (a listener holds up the sync that emits,
// a persisted listener the next batch) and must not call back into the log.
#ifndef TETHER_ENGINE_SYNC_EVENT_LOG_H_
#define TETHER_ENGINE_SYNC_EVENT_LOG_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/sync/sync_event.h"
#include "tether/status.h"

namespace tether::db {
class Database;
}  // namespace tether::db

namespace tether::sync {

struct Event {
  int64_t project_id = 0;
  int64_t run_id = 0;       // 0 when not tied to a run
  // The project's tenant: the writer inserts the event as that tenant (under
  // row-level security); empty: as the connection's own.
  std::string tenant;
  EventBody body;           // what happened (its type: EventType(body))
  std::string created_at;   // filled by Emit
  // Filled by Emit: the log's own order of emission, 1, 2, ...; persisted
  // batches come in this order too, so a listener can tell by it whether an
  // event it saw at once has been persisted yet.
  uint64_t seq = 0;
};

// An event as the events table holds it.
struct PersistedEvent {
  int64_t id = 0;  // events.id
  Event event;
  std::string payload_json;  // events.payload: EventPayloadJson(event.body)
};

class EventLog {
 public:
  using Listener = std::function<void(const Event&)>;
  using PersistedListener = std::function<void(const std::vector<PersistedEvent>&)>;

  // Persists to the database at `database_url`; an empty URL keeps events
  // in memory only (listeners still see them).
  explicit EventLog(std::string database_url);
  ~EventLog();  // flushes what is queued, then stops the writer

  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  void AddListener(Listener listener);
  // Not called when the log keeps events in memory only (empty URL), nor
  // for a batch the writer could not commit.
  void AddPersistedListener(PersistedListener listener);
  void Emit(Event event);

  // How long the writer waits after the first event of a batch before it
  // writes the batch (0, the default: at once). Flush and the destructor do
  // not wait for it.
  void SetBatchDelay(std::chrono::milliseconds delay);

  // Waits until every event emitted so far is persisted. With `db` (a
  // connection of the caller's, in no transaction), what the writer has not
  // taken yet is written on it, on this thread. Returns the first error met
  // (events that could not be written are dropped after retrying for
  // `kGiveUpSeconds`).
  Status Flush(db::Database* db = nullptr);

  // How many connections the writer thread opened (tests).
  int writer_connections() const;

  static constexpr int kGiveUpSeconds = 120;

 private:
  void WriterLoop();
  // Writes `batch` on `*db` (opening it on the URL when null), retrying
  // while the database is busy, then hands it to the persisted listeners.
  // Called under persist_mutex_.
  Status Persist(std::deque<Event> batch, std::unique_ptr<db::Database>* owned, db::Database* db);
  // Records what Persist returned for `count` events. Under mutex_.
  void Persisted(const Status& status, size_t count);

  std::string database_url_;
  std::mutex listeners_mutex_;
  std::vector<Listener> listeners_;
  std::vector<PersistedListener> persisted_listeners_;  // guarded by listeners_mutex_

  // Held while a batch is taken from the queue and written: batches are
  // written one at a time, in seq order, by the writer or a Flush(db).
  // Taken before mutex_.
  std::mutex persist_mutex_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::deque<Event> queue_;
  uint64_t next_seq_ = 0;
  uint64_t emitted_ = 0;    // queued for the writer
  uint64_t persisted_ = 0;
  bool stopping_ = false;
  int flushing_ = 0;  // Flush calls waiting: the writer writes at once
  std::chrono::milliseconds batch_delay_{0};
  std::atomic<int> writer_connections_{0};
  Status first_error_;
  std::thread writer_;
};

}  // namespace tether::sync

#endif  // TETHER_ENGINE_SYNC_EVENT_LOG_H_

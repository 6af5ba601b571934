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
// Thread safety: Emit, AddListener, AddPersistedListener and Flush may be
// called from any thread. Listeners are called one at a time, under a lock
// of the log's: they must be quick (a listener holds up the sync that emits,
// a persisted listener the next batch) and must not call back into the log.
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

#include "engine/sync/sync_event.h"
#include "tether/status.h"

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
  std::vector<PersistedListener> persisted_listeners_;  // guarded by listeners_mutex_

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::deque<Event> queue_;
  uint64_t next_seq_ = 0;
  uint64_t emitted_ = 0;    // queued for the writer
  uint64_t persisted_ = 0;
  bool stopping_ = false;
  Status first_error_;
  std::thread writer_;
};

}  // namespace tether::sync

#endif  // TETHER_ENGINE_SYNC_EVENT_LOG_H_

// EventHub: the events table as Server-Sent Events streams, for
// GET /api/v1/events.
//
// Where events come from: the EventLog's writer calls the hub after each
// batch it committed, with the ids the table gave the events; the hub's
// feeder thread formats each event once and hands it to every client allowed
// to see it. Events written by other processes on the same database (a
// `tether sync` from the CLI) are found by a bounded poll: every
// `poll_interval` (and whenever a committed batch does not follow the last
// id the hub delivered) one query reads the events after that id, for all
// clients at once; never a query per client.
//
// Resuming (Last-Event-ID): a client is registered first, then replayed
// from the table (id > last, in pages on the API workers, each page only
// once the client has taken the one before), and only then goes live; live
// events that came meanwhile are kept aside and sent if their id is past the
// replay, so nothing is missed and nothing comes twice. A client without
// Last-Event-ID starts after the last id the hub had delivered when it
// connected. Ids reach clients in increasing order: an event whose id
// skips ahead waits (up to `gap_grace`, reading the table every 20 ms) for
// the missing ids, which another process's transaction may hold and not yet
// have committed (PostgreSQL sequences hand ids out at insert time). The
// one case this cannot cover: such a transaction committing after
// `gap_grace`; its events are in the table but not streamed.
//
// Replays read only up to the last id the hub delivered, and the rest comes
// live, so a replay never runs ahead of a missing id either.
//
// Previews: an event this process emitted that is not in the table after
// `preview_after` is sent at once without an id, as a preview (data ends
// with "preview": true); the same event follows with its id once written.
// This is what keeps a progress bar moving on SQLite, where a sync's write
// transaction holds the only write lock until it commits and the events it
// emits meanwhile wait. A preview never moves a client's cursor, is not
// replayed, and is skipped by a client still replaying. On PostgreSQL
// events are written within milliseconds and previews are rare. Events of
// other processes cannot be previewed: they come when committed.
//
// Slow clients: each stream's queue is bounded (http::StreamSink); when it is
// full the stream is closed and the client dropped. Writing to a stream
// never waits, so a slow client never holds up a sync, the writer or other
// clients. Every `heartbeat` each stream gets ": heartbeat".
//
// Retention: the feeder thread also deletes old events (db::EventStore::
// Prune), at start and every `prune_interval`.
//
// Ownership: borrows the EventLog and the worker pool; the pool must outlive
// the hub. The log may outlive it (its listener then finds the hub gone).
// Thread safety: every method may be called from any thread.
#ifndef TETHER_ENGINE_EVENT_STREAM_EVENT_HUB_H_
#define TETHER_ENGINE_EVENT_STREAM_EVENT_HUB_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "engine/event_stream/event_frames.h"
#include "engine/http/http_types.h"
#include "engine/workers/worker_pool.h"
#include "engine/sync/event_log.h"
#include "tether/status.h"

namespace tether::event_stream {

struct EventHubOptions {
  std::chrono::milliseconds heartbeat{15000};
  std::chrono::milliseconds poll_interval{1000};  // events of other processes
  size_t client_queue = 1024;                     // frames a client may have waiting before it is dropped
  int replay_page = 500;                          // events per replay query
  // The feeder also keeps the table's retention: at start, then every
  // `prune_interval`.
  db::EventRetention retention;
  std::chrono::milliseconds prune_interval{300000};
  // How long events wait behind a missing id for the transaction that
  // holds it to commit, before the id is given up.
  std::chrono::milliseconds gap_grace{2000};
  // How long an event of this process may wait to be written before it is
  // sent as a preview.
  std::chrono::milliseconds preview_after{250};
};

class EventHub {
 public:
  EventHub(std::string database_url, sync::EventLog* log, workers::WorkerPool* replay_workers, EventHubOptions options);
  ~EventHub();  // Stop()

  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // Reads the last event id and starts the feeder thread. Unavailable when
  // the database cannot be read.
  Status Start();
  // Closes every stream and stops the feeder. Idempotent.
  void Stop();

  // A stream of the events `filter` allows, after `last_event_id` (nullopt:
  // from now on). The client counts as connected from this call until the
  // stream's OnClosed.
  std::shared_ptr<http::StreamSource> Open(EventFilter filter, std::optional<int64_t> last_event_id);

  int clients() const;
  size_t client_queue() const { return options_.client_queue; }

 private:
  class Client;
  struct Inbox;

  void FeederLoop();
  // Sends the previews that are due; returns when the next one is (or
  // time_point::max()).
  std::chrono::steady_clock::time_point SendPreviews();
  // Reads and delivers every event past `delivered_` from the table.
  void CatchUp();
  // Delivers a batch the log committed (its ids follow `delivered_`).
  void FromLog(const std::vector<sync::PersistedEvent>& batch);
  // Events go to clients in id order, through `waiting_`: Offer adds one,
  // Release delivers those that follow on from `delivered_` (and, after
  // `gap_grace`, those behind a missing id).
  void Offer(StreamEvent event);
  void Release();
  void Deliver(const StreamEvent& event);
  void Heartbeat();
  void Prune();
  // The feeder's connection, reopened after an error; nullptr when the
  // database cannot be reached (the next round tries again).
  db::Database* Db();
  void Remove(const Client* client);
  // The clients now, to be called without clients_mutex_ held.
  std::vector<std::shared_ptr<Client>> Clients() const;

  const std::string database_url_;
  workers::WorkerPool* const replay_workers_;
  const EventHubOptions options_;
  const std::shared_ptr<Inbox> inbox_;  // shared with the EventLog's listener

  mutable std::mutex clients_mutex_;
  std::vector<std::shared_ptr<Client>> clients_;
  std::atomic<int64_t> delivered_{0};  // the last id handed to clients

  // The feeder thread's.
  std::unique_ptr<db::Database> db_;
  std::map<int64_t, StreamEvent> waiting_;
  std::optional<std::chrono::steady_clock::time_point> gap_since_;
  std::thread feeder_;

  // How often the table is read while events wait behind a missing id.
  static constexpr std::chrono::milliseconds kGapPoll{20};
};

}  // namespace tether::event_stream

#endif  // TETHER_ENGINE_EVENT_STREAM_EVENT_HUB_H_

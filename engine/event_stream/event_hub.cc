#include "engine/event_stream/event_hub.h"

#include <algorithm>
#include <cstdio>
#include <unordered_map>
#include <utility>

#include "engine/auth/tenant_session.h"
#include "engine/log/log.h"
#include "engine/db/event_store.h"

namespace tether::event_stream {

// Batches the EventLog's writer committed, waiting for the feeder. Shared
// with the log's listener so that a log outliving the hub finds it closed.
struct EventHub::Inbox {
  struct Unwritten {
    sync::Event event;
    std::chrono::steady_clock::time_point emitted;
  };
  // At most this many events wait for a preview; beyond, the oldest go
  // without one (they still come with their ids once written).
  static constexpr size_t kMaxUnwritten = 4096;

  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::vector<sync::PersistedEvent>> batches;
  // The log's events as emitted, until they are written or previewed.
  std::deque<Unwritten> unwritten;
  uint64_t written_seq = 0;  // the largest seq of the batches the log wrote
  bool rearm = false;        // the feeder is to set its clock for a new preview
  bool open = true;
};

// One SSE client: a http::StreamSource the HTTP server drives, fed by the hub.
class EventHub::Client : public http::StreamSource, public std::enable_shared_from_this<Client> {
 public:
  Client(EventHub* hub, EventFilter filter, int64_t cursor)
      : hub_(hub),
        filter_(std::move(filter)),
        capacity_(hub->options_.client_queue == 0 ? 1 : hub->options_.client_queue),
        page_(static_cast<int>(std::max<size_t>(1, std::min<size_t>(hub->options_.replay_page, capacity_ / 2)))),
        cursor_(cursor) {}

  void Start(std::shared_ptr<http::StreamSink> sink) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      sink_ = std::move(sink);
      if (closed_) return sink_->Close();
    }
    SubmitReplay();
  }

  void OnDrained() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!replay_wanted_ || closed_) return;
      replay_wanted_ = false;
    }
    SubmitReplay();
  }

  void OnClosed() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
      pending_.clear();
    }
    hub_->Remove(this);
  }

  // A preview (see event_hub.h), from the feeder thread: sent as it is, the
  // cursor stays.
  void Preview(const StreamEvent& event) {
    if (!filter_.Allows(event)) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_ || replaying_ || !sink_) return;
    if (!sink_->Write(event.frame)) closed_ = true;
  }

  // From the feeder thread, in id order.
  void Deliver(const StreamEvent& event) {
    if (!filter_.Allows(event)) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    if (replaying_) {
      // Kept aside until the replay is done; when too many come, the replay
      // reads them from the table instead.
      if (pending_.size() >= capacity_) {
        pending_.clear();
        pending_overflow_ = true;
      } else {
        pending_.push_back(event);
      }
      return;
    }
    if (event.id <= cursor_) return;
    cursor_ = event.id;
    if (!sink_->Write(event.frame)) closed_ = true;
  }

  void Heartbeat(const std::shared_ptr<const std::string>& frame) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_ || !sink_) return;
    if (!sink_->Write(frame)) closed_ = true;
  }

  void Close() {
    std::shared_ptr<http::StreamSink> sink;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
      sink = sink_;
    }
    if (sink) sink->Close();
  }

 private:
  void SubmitReplay() {
    auto self = shared_from_this();
    if (!hub_->replay_workers_->TrySubmit([self](workers::WorkerContext& context) { self->ReplayPage(context); })) {
      Close();  // the workers are saturated or stopping; the client resumes later
    }
  }

  // One page of the replay, on an API worker.
  void ReplayPage(workers::WorkerContext& context) {
    int64_t from = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (closed_) return;
      pending_overflow_ = false;
      from = cursor_;
    }
    Result<std::vector<StreamEvent>> rows = Status::Unavailable("no database");
    Result<db::Database*> db = context.database();
    if (db.ok()) {
      // Only up to what the hub has delivered: past that, events come live
      // (kept aside meanwhile), in the hub's order, so none is skipped.
      const int64_t up_to = hub_->delivered_.load();
      Status bound = auth::BindTenant(*db, filter_.tenant_id);
      rows = bound.ok() ? ReadEvents(*db, from, up_to, page_, &filter_) : Result<std::vector<StreamEvent>>(bound);
      if (!rows.ok()) context.ResetDatabase();
    }
    if (!rows.ok()) {
      logging::LogWarning("an event stream is closed: " + rows.status().message());
      return Close();
    }
    bool submit = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (closed_) return;
      for (const StreamEvent& event : *rows) {
        if (event.id <= cursor_ || !event.frame) continue;
        cursor_ = event.id;
        if (!sink_->Write(event.frame)) {
          closed_ = true;
          return;
        }
      }
      const bool more = rows->size() == static_cast<size_t>(page_) || pending_overflow_;
      if (more) {
        // The next page once the client has taken most of this one.
        if (sink_->queued() <= capacity_ / 2) {
          submit = true;
        } else {
          replay_wanted_ = true;
        }
      } else {
        for (const StreamEvent& event : pending_) {
          if (event.id <= cursor_) continue;
          cursor_ = event.id;
          if (!sink_->Write(event.frame)) {
            closed_ = true;
            return;
          }
        }
        pending_.clear();
        replaying_ = false;
      }
    }
    if (submit) SubmitReplay();
  }

  EventHub* const hub_;
  const EventFilter filter_;
  const size_t capacity_;
  const int page_;

  std::mutex mutex_;
  std::shared_ptr<http::StreamSink> sink_;  // set by Start
  int64_t cursor_;                    // the last id sent (or the one to resume after)
  bool replaying_ = true;
  bool replay_wanted_ = false;  // a page waits for the client to take the last one
  std::deque<StreamEvent> pending_;
  bool pending_overflow_ = false;
  bool closed_ = false;
};

EventHub::EventHub(std::string database_url, sync::EventLog* log, workers::WorkerPool* replay_workers,
                   EventHubOptions options)
    : database_url_(std::move(database_url)),
      replay_workers_(replay_workers),
      options_(options),
      inbox_(std::make_shared<Inbox>()) {
  log->AddPersistedListener([inbox = inbox_](const std::vector<sync::PersistedEvent>& batch) {
    {
      std::lock_guard<std::mutex> lock(inbox->mutex);
      if (!inbox->open) return;
      for (const sync::PersistedEvent& e : batch) inbox->written_seq = std::max(inbox->written_seq, e.event.seq);
      inbox->batches.push_back(batch);
    }
    inbox->wake.notify_one();
  });
  log->AddListener([inbox = inbox_](const sync::Event& event) {
    bool first = false;
    {
      std::lock_guard<std::mutex> lock(inbox->mutex);
      if (!inbox->open || event.seq <= inbox->written_seq) return;
      if (inbox->unwritten.size() >= Inbox::kMaxUnwritten) inbox->unwritten.pop_front();
      first = inbox->unwritten.empty();
      inbox->unwritten.push_back(Inbox::Unwritten{event, std::chrono::steady_clock::now()});
      inbox->rearm = inbox->rearm || first;
    }
    if (first) inbox->wake.notify_one();
  });
}

EventHub::~EventHub() { Stop(); }

Status EventHub::Start() {
  Result<std::unique_ptr<db::Database>> opened = db::Database::Open(database_url_);
  if (!opened.ok()) return opened.status();
  Result<int64_t> last = db::EventStore(opened->get()).LastId();
  if (!last.ok()) return last.status();
  delivered_ = *last;
  db_ = std::move(opened).value();
  feeder_ = std::thread([this] { FeederLoop(); });
  return Status::Ok();
}

void EventHub::Stop() {
  {
    std::lock_guard<std::mutex> lock(inbox_->mutex);
    if (!inbox_->open) return;
    inbox_->open = false;
  }
  inbox_->wake.notify_all();
  if (feeder_.joinable()) feeder_.join();
  const std::vector<std::shared_ptr<Client>> clients = Clients();
  for (const std::shared_ptr<Client>& client : clients) client->Close();
}

std::shared_ptr<http::StreamSource> EventHub::Open(EventFilter filter, std::optional<int64_t> last_event_id) {
  auto client = std::make_shared<Client>(this, std::move(filter), last_event_id.value_or(delivered_.load()));
  std::lock_guard<std::mutex> lock(clients_mutex_);
  clients_.push_back(client);
  return client;
}

std::vector<std::shared_ptr<EventHub::Client>> EventHub::Clients() const {
  std::lock_guard<std::mutex> lock(clients_mutex_);
  return clients_;
}

int EventHub::clients() const {
  std::lock_guard<std::mutex> lock(clients_mutex_);
  return static_cast<int>(clients_.size());
}

void EventHub::Remove(const Client* client) {
  std::lock_guard<std::mutex> lock(clients_mutex_);
  for (auto it = clients_.begin(); it != clients_.end(); ++it) {
    if (it->get() == client) {
      clients_.erase(it);
      return;
    }
  }
}

void EventHub::FeederLoop() {
  using Clock = std::chrono::steady_clock;
  Clock::time_point next_poll = Clock::now() + options_.poll_interval;
  Clock::time_point next_beat = Clock::now() + options_.heartbeat;
  Clock::time_point next_prune = Clock::now();
  Clock::time_point next_preview = Clock::time_point::max();
  while (true) {
    std::deque<std::vector<sync::PersistedEvent>> batches;
    {
      std::unique_lock<std::mutex> lock(inbox_->mutex);
      inbox_->wake.wait_until(lock, std::min({next_poll, next_beat, next_prune, next_preview}),
                              [&] { return !inbox_->open || !inbox_->batches.empty() || inbox_->rearm; });
      if (!inbox_->open) break;
      inbox_->rearm = false;
      batches.swap(inbox_->batches);
    }
    for (const std::vector<sync::PersistedEvent>& batch : batches) {
      if (batch.empty()) continue;
      if (batch.back().id <= delivered_) continue;
      if (batch.front().id != delivered_ + 1 || !waiting_.empty()) {
        // Something else wrote in between (another process), or ids were
        // skipped: the table says what came before (and holds this batch).
        CatchUp();
        continue;
      }
      FromLog(batch);
    }
    Release();
    next_preview = SendPreviews();
    const Clock::time_point now = Clock::now();
    if (now >= next_poll || !waiting_.empty()) {
      // While events wait behind a missing id, the table is read again
      // soon: the transaction that holds the id may commit any moment.
      CatchUp();
      Release();
      next_poll = now + (waiting_.empty() ? options_.poll_interval : kGapPoll);
    }
    if (now >= next_beat) {
      Heartbeat();
      next_beat = now + options_.heartbeat;
    }
    if (now >= next_prune) {
      Prune();
      next_prune = now + options_.prune_interval;
    }
  }
}

db::Database* EventHub::Db() {
  if (!db_) {
    Result<std::unique_ptr<db::Database>> opened = db::Database::Open(database_url_);
    if (!opened.ok()) return nullptr;
    db_ = std::move(opened).value();
  }
  return db_.get();
}

void EventHub::Prune() {
  if (options_.retention.days <= 0 && options_.retention.max_rows <= 0) return;
  db::Database* db = Db();
  if (db == nullptr) return;
  Result<int64_t> deleted = db::EventStore(db).Prune(options_.retention);
  if (!deleted.ok()) {
    logging::LogWarning(deleted.status().message() + " (retried later)");
    db_.reset();
  }
}

void EventHub::CatchUp() {
  constexpr int kPage = 1000;
  int64_t after = delivered_;
  while (true) {
    db::Database* db = Db();
    if (db == nullptr) return;
    Result<std::vector<StreamEvent>> events = ReadEvents(db, after, 0, kPage, nullptr);
    if (!events.ok()) {
      db_.reset();  // the next round reconnects
      return;
    }
    for (StreamEvent& event : *events) {
      after = event.id;
      Offer(std::move(event));
    }
    Release();  // delivers what follows on, before reading more
    if (events->size() < static_cast<size_t>(kPage)) return;
  }
}

void EventHub::Offer(StreamEvent event) {
  if (event.id <= delivered_) return;
  const int64_t id = event.id;
  waiting_.emplace(id, std::move(event));
}

void EventHub::Release() {
  const auto now = std::chrono::steady_clock::now();
  while (!waiting_.empty()) {
    auto first = waiting_.begin();
    if (first->first != delivered_ + 1) {
      // A missing id: another transaction may have taken it and not yet
      // committed (PostgreSQL sequences hand ids out at insert time). Its
      // event should go first; after `gap_grace` the id counts as never
      // coming (a rolled-back transaction, or a row this connection cannot
      // see).
      if (!gap_since_) gap_since_ = now;
      if (now - *gap_since_ < options_.gap_grace) return;
    }
    gap_since_.reset();
    delivered_ = first->first;
    if (first->second.frame) Deliver(first->second);
    waiting_.erase(first);
  }
}

void EventHub::FromLog(const std::vector<sync::PersistedEvent>& batch) {
  // Each event's project, by the event's own row (see ProjectsOfEvents).
  db::Database* db = Db();
  if (db == nullptr) return;
  Result<std::unordered_map<int64_t, db::EventProject>> projects =
      db::EventStore(db).ProjectsOfEvents(batch.front().id, batch.back().id);
  if (!projects.ok()) {
    db_.reset();
    return;  // the next poll reads the batch from the table
  }
  for (const sync::PersistedEvent& persisted : batch) {
    const sync::Event& e = persisted.event;
    StreamEvent event;
    event.id = persisted.id;
    event.project_id = e.project_id;
    std::string name;
    if (e.project_id > 0) {
      auto it = projects->find(persisted.id);
      if (it == projects->end()) {
        Offer(std::move(event));  // gone, or not visible: its id passes, nothing is sent
        continue;
      }
      name = it->second.name;
      event.tenant_id = it->second.tenant_id;
    }
    event.frame = std::make_shared<const std::string>(
        EventFrame(persisted.id, sync::EventType(e.body), persisted.payload_json, name, e.run_id, e.created_at));
    Offer(std::move(event));
  }
  Release();
}

std::chrono::steady_clock::time_point EventHub::SendPreviews() {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point now = Clock::now();
  Clock::time_point next = Clock::time_point::max();
  std::vector<sync::Event> due;
  {
    std::lock_guard<std::mutex> lock(inbox_->mutex);
    std::deque<Inbox::Unwritten> kept;
    for (Inbox::Unwritten& e : inbox_->unwritten) {
      if (e.event.seq <= inbox_->written_seq) continue;  // written: it comes with its id
      const Clock::time_point at = e.emitted + options_.preview_after;
      if (at <= now) {
        due.push_back(std::move(e.event));
      } else {
        kept.push_back(std::move(e));
        next = std::min(next, at);
      }
    }
    inbox_->unwritten.swap(kept);
  }
  if (due.empty() || clients() == 0) return next;
  std::sort(due.begin(), due.end(), [](const sync::Event& a, const sync::Event& b) { return a.seq < b.seq; });

  // The projects' names and tenants, read now: the rows are committed
  // (readers do not wait for a writer, on SQLite in WAL mode either).
  db::Database* db = Db();
  if (db == nullptr) return next;
  std::vector<int64_t> project_ids;
  for (const sync::Event& e : due) project_ids.push_back(e.project_id);
  Result<std::unordered_map<int64_t, db::EventProject>> projects = db::EventStore(db).Projects(project_ids);
  if (!projects.ok()) {
    db_.reset();
    return next;  // these come with their ids once written
  }
  const std::vector<std::shared_ptr<Client>> clients = Clients();
  for (const sync::Event& e : due) {
    StreamEvent event;
    event.project_id = e.project_id;
    std::string name;
    if (e.project_id > 0) {
      auto it = projects->find(e.project_id);
      if (it == projects->end()) continue;  // gone, or not visible
      name = it->second.name;
      event.tenant_id = it->second.tenant_id;
    }
    event.frame = std::make_shared<const std::string>(
        EventFrame(0, sync::EventType(e.body), sync::EventPayloadJson(e.body), name, e.run_id, e.created_at));
    for (const std::shared_ptr<Client>& client : clients) client->Preview(event);
  }
  return next;
}

void EventHub::Deliver(const StreamEvent& event) {
  const std::vector<std::shared_ptr<Client>> clients = Clients();
  for (const std::shared_ptr<Client>& client : clients) client->Deliver(event);
}

void EventHub::Heartbeat() {
  static const auto frame = std::make_shared<const std::string>(": heartbeat\n\n");
  const std::vector<std::shared_ptr<Client>> clients = Clients();
  for (const std::shared_ptr<Client>& client : clients) client->Heartbeat(frame);
}

}  // namespace tether::event_stream

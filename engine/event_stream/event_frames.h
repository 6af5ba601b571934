// Events as the SSE stream sends them: read from the events table through
// db::EventStore (with their project's name and tenant) and formatted as
// Server-Sent Events frames. Both the replay of a resuming client and the
// hub's catch-up read through ReadEvents, so a frame is the same whichever
// way it came.
//
// Thread safety: plain functions; a Database is used by one thread at a time.
// Errors: ReadEvents returns the store's error as a Status.
#ifndef TETHER_ENGINE_EVENT_STREAM_EVENT_FRAMES_H_
#define TETHER_ENGINE_EVENT_STREAM_EVENT_FRAMES_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/db/database.h"
#include "engine/db/event_store.h"
#include "tether/status.h"

namespace tether::event_stream {

// One event ready to go to the clients allowed to see it.
struct StreamEvent {
  int64_t id = 0;          // events.id
  int64_t project_id = 0;  // 0: not tied to a project (the engine's own; every tenant sees it)
  std::string tenant_id;   // the project's tenant; "" when project_id is 0
  std::shared_ptr<const std::string> frame;  // "id: ..\nevent: ..\ndata: ..\n\n"
};

// What a client may see: its tenant's events, of one project or of all.
struct EventFilter {
  std::string tenant_id;
  int64_t project_id = 0;  // 0: every project of the tenant (and events of none)

  db::EventScope scope() const { return db::EventScope{tenant_id, project_id}; }

  bool Allows(const StreamEvent& event) const {
    if (event.project_id == 0) return project_id == 0;
    return event.tenant_id == tenant_id && (project_id == 0 || event.project_id == project_id);
  }
};

// The SSE frame of an event: `data` is the payload object with "project"
// (the project's name), "run_id" (null when none) and "created_at" added.
// A payload that is not a JSON object is sent as {"payload": "<text>"}.
// `id` 0 makes a preview: an event the stream sends before the table has it
// (see event_hub.h), with no "id:" line and "preview": true last in `data`.
std::string EventFrame(int64_t id, const std::string& type, const std::string& payload_json,
                       const std::string& project_name, int64_t run_id, const std::string& created_at);

// Events with `after_id` < id <= `up_to_id` (0: no upper bound), in id
// order, at most `limit`. With a filter, only those it allows; events of a
// project the connection cannot see (deleted, or another tenant under
// row-level security) are left out. Without (nullptr), every row, those of
// projects it cannot see with a null `frame` (the hub needs their ids).
Result<std::vector<StreamEvent>> ReadEvents(db::Database* db, int64_t after_id, int64_t up_to_id, int limit,
                                            const EventFilter* filter);

}  // namespace tether::event_stream

#endif  // TETHER_ENGINE_EVENT_STREAM_EVENT_FRAMES_H_

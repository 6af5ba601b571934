// The events of a sync, as types: what the pipeline emits and in-process
// listeners (the CLI's progress bar, the server's event hub) read. JSON is
// made only where an event leaves the process: EventPayloadJson, called by
// the event log's writer for the events table and by the event hub for
// Server-Sent Events. The type names and payloads are part of the API
// (GET /api/v1/events, the events table) and never change.
//
//   type            payload members, in order
//   run.started     project, branch, trigger
//   phase.started   phase
//   phase.progress  phase, done, total        (write: "0 of N" first)
//   phase.finished  phase, ms
//   phase.failed    phase, error
//   path.refused    path, reason
//   run.finished    project, outcome, mode, added, modified, deleted,
//                   renamed, skipped, total_ms, error
//
// Thread safety: plain values and pure functions.
#ifndef TETHER_ENGINE_SYNC_SYNC_EVENT_H_
#define TETHER_ENGINE_SYNC_SYNC_EVENT_H_

#include <cstdint>
#include <string>
#include <variant>

#include "engine/sync/run_states.h"

namespace tether::sync {

struct RunStarted {
  std::string project;
  std::string branch;
  std::string trigger;
};

struct PhaseStarted {
  Phase phase = Phase::kDiscover;
};

struct PhaseProgress {
  Phase phase = Phase::kWrite;
  int64_t done = 0;
  int64_t total = 0;
};

struct PhaseFinished {
  Phase phase = Phase::kDiscover;
  double ms = 0;
};

struct PhaseFailed {
  Phase phase = Phase::kDiscover;
  std::string error;
};

struct PathRefused {
  std::string path;
  std::string reason;
};

struct RunFinished {
  std::string project;
  RunOutcome outcome = RunOutcome::kFailed;
  SyncMode mode = SyncMode::kNone;
  int64_t added = 0;
  int64_t modified = 0;
  int64_t deleted = 0;
  int64_t renamed = 0;
  int64_t skipped = 0;
  double total_ms = 0;
  std::string error;  // "" when it did not fail
};

using EventBody =
    std::variant<RunStarted, PhaseStarted, PhaseProgress, PhaseFinished, PhaseFailed, PathRefused, RunFinished>;

// "run.started", "phase.progress", ...: the events table's type and the SSE
// event name.
const char* EventType(const EventBody& body);

// The payload: a compact JSON object, as the events table stores it.
std::string EventPayloadJson(const EventBody& body);

}  // namespace tether::sync

#endif  // TETHER_ENGINE_SYNC_SYNC_EVENT_H_

// Schedules: when a project's next sync runs by itself. A project follows
// its own schedule, or the config's default when it has none:
//   off        never by itself (a person, the API, a webhook or cron starts it)
//   every N    N seconds after its last run ended ("5m", "1h")
//   adaptive   after half the time since its branch last moved, between a
//              minimum (45 s) and a maximum (8 h): a busy repository is
//              checked often, an idle one rarely
// Each interval is spread by up to 10% either way, so that projects added
// together do not all fire at once.
//
// Thread safety: pure functions and plain values.
#ifndef TETHER_ENGINE_SCHEDULE_SCHEDULE_H_
#define TETHER_ENGINE_SCHEDULE_SCHEDULE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tether/status.h"

namespace tether::schedule {

enum class ScheduleKind { kOff, kEvery, kAdaptive };

struct Schedule {
  ScheduleKind kind = ScheduleKind::kOff;
  int64_t every_seconds = 0;  // kEvery: 1 second to a year
};

// "off", "adaptive", or a duration: digits and a unit, s, m, h or d ("90s",
// "5m", "2h", "1d"; "every 5m" too). InvalidArgument naming the text and
// what is accepted otherwise.
Result<Schedule> ParseSchedule(std::string_view text);

// How a schedule is stored (project_syncs.schedule) and parsed again:
// "off", "adaptive", "<N>s".
std::string StoredText(const Schedule& schedule);

// For people: "off", "adaptive", "every 5 min", "every 90 s".
std::string Describe(const Schedule& schedule);

// The schedule a project follows: its own (`stored`, as StoredText wrote
// it), or `fallback` (the config's default) when it has none.
Schedule Effective(const std::string& stored, const Schedule& fallback);

struct Limits {
  int64_t min_seconds = 45;     // adaptive's shortest wait
  int64_t max_seconds = 28800;  // adaptive's longest wait
};

// When the next sync is due after a run that ended at `now` (unix seconds):
// nullopt when the schedule is off. `head_changed_at`: when a run last
// found the branch moved (nullopt: never; adaptive then waits its minimum).
// `jitter` in [-1, 1] moves the wait by that fraction of 10%.
std::optional<int64_t> NextDue(const Schedule& schedule, const Limits& limits, int64_t now,
                               std::optional<int64_t> head_changed_at, double jitter);

// A jitter for NextDue, uniform in [-1, 1]. Thread safe.
double RandomJitter();

}  // namespace tether::schedule

#endif  // TETHER_ENGINE_SCHEDULE_SCHEDULE_H_

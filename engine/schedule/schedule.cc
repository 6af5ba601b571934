#include "engine/schedule/schedule.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <random>

#include "engine/common/human_units.h"

namespace tether::schedule {
namespace {

constexpr int64_t kYear = 31536000;

}  // namespace

Result<Schedule> ParseSchedule(std::string_view text) {
  Schedule schedule;
  if (text == "off") return schedule;
  if (text == "adaptive") {
    schedule.kind = ScheduleKind::kAdaptive;
    return schedule;
  }
  std::string_view duration = text;
  if (duration.substr(0, 6) == "every ") duration.remove_prefix(6);
  std::optional<int64_t> seconds = ParseSeconds(duration);
  if (!seconds || *seconds < 1 || *seconds > kYear) {
    return Status::InvalidArgument("schedule \"" + std::string(text) +
                                   "\": give \"off\", \"adaptive\", or an interval of 1 s to a year with s, m, h "
                                   "or d (\"90s\", \"5m\", \"1h\")");
  }
  schedule.kind = ScheduleKind::kEvery;
  schedule.every_seconds = *seconds;
  return schedule;
}

std::string StoredText(const Schedule& schedule) {
  switch (schedule.kind) {
    case ScheduleKind::kOff: return "off";
    case ScheduleKind::kAdaptive: return "adaptive";
    case ScheduleKind::kEvery: return std::to_string(schedule.every_seconds) + "s";
  }
  return "off";
}

std::string Describe(const Schedule& schedule) {
  if (schedule.kind != ScheduleKind::kEvery) return StoredText(schedule);
  // The largest unit that divides it: "every 5 min", "every 90 s", "every 1 d".
  const int64_t s = schedule.every_seconds;
  if (s % 86400 == 0) return "every " + std::to_string(s / 86400) + " d";
  if (s % 3600 == 0) return "every " + std::to_string(s / 3600) + " h";
  if (s % 60 == 0) return "every " + std::to_string(s / 60) + " min";
  return "every " + std::to_string(s) + " s";
}

Schedule Effective(const std::string& stored, const Schedule& fallback) {
  if (stored.empty()) return fallback;
  Result<Schedule> own = ParseSchedule(stored);
  return own.ok() ? *own : fallback;
}

std::optional<int64_t> NextDue(const Schedule& schedule, const Limits& limits, int64_t now,
                               std::optional<int64_t> head_changed_at, double jitter) {
  int64_t wait = 0;
  switch (schedule.kind) {
    case ScheduleKind::kOff: return std::nullopt;
    case ScheduleKind::kEvery: wait = schedule.every_seconds; break;
    case ScheduleKind::kAdaptive: {
      const int64_t idle = head_changed_at ? std::max<int64_t>(0, now - *head_changed_at) : 0;
      wait = std::clamp(idle / 2, limits.min_seconds, std::max(limits.min_seconds, limits.max_seconds));
      break;
    }
  }
  jitter = std::clamp(jitter, -1.0, 1.0);
  const int64_t spread = static_cast<int64_t>(std::llround(static_cast<double>(wait) * 0.1 * jitter));
  return now + std::max<int64_t>(1, wait + spread);
}

double RandomJitter() {
  static std::mutex mutex;
  static std::mt19937_64 engine{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mutex);
  return std::uniform_real_distribution<double>(-1.0, 1.0)(engine);
}

}  // namespace tether::schedule

// Schedules: what an operator may write, how it is stored, and when the
// next sync is due for each kind, with the spread that keeps projects added
// together from firing together.
#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "engine/schedule/schedule.h"

using tether::schedule::Describe;
using tether::schedule::Effective;
using tether::schedule::Limits;
using tether::schedule::NextDue;
using tether::schedule::ParseSchedule;
using tether::schedule::RandomJitter;
using tether::schedule::Schedule;
using tether::schedule::ScheduleKind;
using tether::schedule::StoredText;

TEST_CASE("schedules parse from what an operator writes and read back from how they are stored") {
  const std::pair<const char*, const char*> cases[] = {
      {"off", "off"}, {"adaptive", "adaptive"}, {"90s", "90s"}, {"90", "90s"},
      {"5m", "300s"}, {"every 5m", "300s"}, {"2h", "7200s"}, {"1d", "86400s"},
  };
  for (const auto& [text, stored] : cases) {
    INFO(text);
    auto parsed = ParseSchedule(text);
    REQUIRE(parsed.ok());
    CHECK(StoredText(*parsed) == stored);
    auto again = ParseSchedule(StoredText(*parsed));
    REQUIRE(again.ok());
    CHECK(again->kind == parsed->kind);
    CHECK(again->every_seconds == parsed->every_seconds);
  }
  CHECK(Describe(*ParseSchedule("5m")) == "every 5 min");
  for (const char* bad : {"", "0s", "5x", "-5m", "5 m", "every", "every 0m", "366d", "Adaptive", "1234567890s"}) {
    INFO(bad);
    auto parsed = ParseSchedule(bad);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().message().find(std::string("\"") + bad + "\"") != std::string::npos);
  }
  // A project without its own follows the default; a stored one wins.
  const Schedule every = *ParseSchedule("5m");
  CHECK(Effective("", every).kind == ScheduleKind::kEvery);
  CHECK(Effective("off", every).kind == ScheduleKind::kOff);
  CHECK(Effective("adaptive", every).kind == ScheduleKind::kAdaptive);
}

TEST_CASE("an interval schedule is due after its interval, spread by at most a tenth") {
  const Schedule every = *ParseSchedule("10m");
  const Limits limits;
  const int64_t now = 1'000'000;
  CHECK(NextDue(every, limits, now, std::nullopt, 0.0) == now + 600);
  CHECK(NextDue(every, limits, now, std::nullopt, 1.0) == now + 660);
  CHECK(NextDue(every, limits, now, std::nullopt, -1.0) == now + 540);
  for (int i = 0; i < 1000; ++i) {
    const double jitter = RandomJitter();
    REQUIRE(jitter >= -1.0);
    REQUIRE(jitter <= 1.0);
    const int64_t due = *NextDue(every, limits, now, std::nullopt, jitter);
    REQUIRE(due >= now + 540);
    REQUIRE(due <= now + 660);
  }
  CHECK_FALSE(NextDue(*ParseSchedule("off"), limits, now, std::nullopt, 0.0).has_value());
  CHECK(NextDue(*ParseSchedule("1s"), limits, now, std::nullopt, -1.0) == now + 1);  // never in the past
}

TEST_CASE("an adaptive schedule waits half the branch's idle time, within its bounds") {
  const Schedule adaptive = *ParseSchedule("adaptive");
  Limits limits;
  limits.min_seconds = 45;
  limits.max_seconds = 8 * 3600;
  const int64_t now = 10'000'000;
  // Never seen moving, or just moved: the minimum.
  CHECK(NextDue(adaptive, limits, now, std::nullopt, 0.0) == now + 45);
  CHECK(NextDue(adaptive, limits, now, now, 0.0) == now + 45);
  // Idle for an hour: half an hour. Idle for a week: the maximum.
  CHECK(NextDue(adaptive, limits, now, now - 3600, 0.0) == now + 1800);
  CHECK(NextDue(adaptive, limits, now, now - 7 * 86400, 0.0) == now + 8 * 3600);
  // The wait grows with idle time and never shrinks while the branch is still.
  int64_t last = 0;
  for (int64_t idle : {0, 60, 600, 3600, 36000, 360000}) {
    const int64_t wait = *NextDue(adaptive, limits, now, now - idle, 0.0) - now;
    CHECK(wait >= last);
    last = wait;
  }
}

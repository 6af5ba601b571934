// Durations, sizes and times as the CLI shows them to a person.
#include <catch2/catch.hpp>

#include "engine/common/human_units.h"
#include "shared/clock.h"

using tether::HumanAgo;
using tether::HumanBytes;
using tether::HumanDuration;
using tether::UnixSecondsFromIso8601;

TEST_CASE("durations read at a glance, in the unit that fits") {
  CHECK(HumanDuration(0) == "0 ms");
  CHECK(HumanDuration(38.7) == "38 ms");
  CHECK(HumanDuration(999.9) == "999 ms");
  CHECK(HumanDuration(1000) == "1.0 s");
  CHECK(HumanDuration(1234) == "1.2 s");
  CHECK(HumanDuration(9999) == "9.9 s");
  CHECK(HumanDuration(12345) == "12 s");
  CHECK(HumanDuration(245000) == "4 min 5 s");
  CHECK(HumanDuration(7380000) == "2 h 3 min");
  CHECK(HumanDuration(-1) == "-");
}

TEST_CASE("sizes in decimal units, never rounded up into the next one") {
  CHECK(HumanBytes(0) == "0 B");
  CHECK(HumanBytes(812) == "812 B");
  CHECK(HumanBytes(1500) == "1.5 kB");
  CHECK(HumanBytes(999999) == "999.9 kB");
  CHECK(HumanBytes(18800000) == "18.8 MB");
  CHECK(HumanBytes(2000000000) == "2.0 GB");
  CHECK(HumanBytes(-5) == "-");
}

TEST_CASE("ISO 8601 times as the engine writes them, and only those, are read") {
  CHECK(UnixSecondsFromIso8601("1970-01-01T00:00:00Z") == 0);
  const int64_t now = tether::NowUnixSeconds();
  CHECK(UnixSecondsFromIso8601(tether::Iso8601FromUnixSeconds(now)) == now);
  const auto with_millis = UnixSecondsFromIso8601(tether::NowIso8601());
  REQUIRE(with_millis.has_value());
  CHECK(*with_millis >= now);
  CHECK(*with_millis <= now + 2);
  for (const char* bad : {"", "yesterday", "2026-11-25", "2026-11-25T02:40:01", "2026-11-25T02:40:01.Z",
                          "2026-13-25T02:40:01Z", "2026-11-25T02:40:01Zjunk", "2026-11-25 02:40:01Z"}) {
    INFO(bad);
    CHECK_FALSE(UnixSecondsFromIso8601(bad).has_value());
  }
}

TEST_CASE("a time is shown as how long ago it was") {
  const int64_t now = 1'800'000'000;
  auto at = [&](int64_t seconds_ago) { return tether::Iso8601FromUnixSeconds(now - seconds_ago); };
  CHECK(HumanAgo(at(0), now) == "just now");
  CHECK(HumanAgo(at(-30), now) == "just now");  // another machine's clock
  CHECK(HumanAgo(at(42), now) == "42 s ago");
  CHECK(HumanAgo(at(5 * 60 + 10), now) == "5 min ago");
  CHECK(HumanAgo(at(3 * 3600), now) == "3 h ago");
  CHECK(HumanAgo(at(86400), now) == "1 day ago");
  CHECK(HumanAgo(at(2 * 86400 + 5), now) == "2 days ago");
  CHECK(HumanAgo("not a time", now) == "not a time");
}

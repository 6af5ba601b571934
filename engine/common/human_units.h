// Durations, sizes and times as a person reads them at a glance, for the
// CLI's human output (never for --json, which keeps raw numbers and ISO 8601
// times): "38 ms", "1.2 s", "4 min 5 s"; "812 B", "18.8 MB"; "5 min ago".
//
// Thread safety: pure functions.
#ifndef TETHER_ENGINE_COMMON_HUMAN_UNITS_H_
#define TETHER_ENGINE_COMMON_HUMAN_UNITS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tether {

// "0 ms", "38 ms", "1.2 s", "12 s", "4 min 5 s", "2 h 3 min". Negative: "-".
std::string HumanDuration(double milliseconds);

// Decimal units, as disks and networks count: "812 B", "1.5 kB", "18.8 MB",
// "2.0 GB". Negative: "-".
std::string HumanBytes(int64_t bytes);

// Seconds since the epoch of an ISO 8601 UTC time as the engine writes them
// ("2026-11-25T02:40:01.112Z", "2026-11-25T02:40:01Z"); nullopt for any
// other text.
std::optional<int64_t> UnixSecondsFromIso8601(const std::string& text);

// Seconds from digits and an optional unit, s, m, h or d ("90", "90s",
// "5m", "2h", "7d"); nullopt for anything else or more than nine digits.
std::optional<int64_t> ParseSeconds(std::string_view text);

// How long before `now_unix_seconds` the ISO 8601 time `iso` was: "just
// now", "42 s ago", "5 min ago", "3 h ago", "2 days ago"; a time in the
// future (clocks differ) is "just now"; text that is not such a time comes
// back as it is.
std::string HumanAgo(const std::string& iso, int64_t now_unix_seconds);

}  // namespace tether

#endif  // TETHER_ENGINE_COMMON_HUMAN_UNITS_H_

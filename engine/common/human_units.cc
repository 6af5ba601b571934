#include "engine/common/human_units.h"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace tether {
namespace {

std::string Format(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), format, value);
  return buffer;
}

std::string Plural(int64_t n, const char* unit) {
  return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
}

}  // namespace

std::string HumanDuration(double ms) {
  if (!(ms >= 0)) return "-";
  if (ms < 1000) return Format("%.0f ms", std::floor(ms));
  const double seconds = ms / 1000;
  if (seconds < 10) return Format("%.1f s", std::floor(seconds * 10) / 10);
  if (seconds < 60) return Format("%.0f s", std::floor(seconds));
  const int64_t whole = static_cast<int64_t>(seconds);
  if (whole < 3600) return std::to_string(whole / 60) + " min " + std::to_string(whole % 60) + " s";
  return std::to_string(whole / 3600) + " h " + std::to_string(whole % 3600 / 60) + " min";
}

std::string HumanBytes(int64_t bytes) {
  if (bytes < 0) return "-";
  if (bytes < 1000) return std::to_string(bytes) + " B";
  static const char* const kUnits[] = {"kB", "MB", "GB", "TB", "PB", "EB"};
  double value = static_cast<double>(bytes);
  int unit = -1;
  // Truncated, not rounded, to one decimal: 999,999 bytes is 999.9 kB, never
  // "1000.0 kB".
  while (value >= 1000 && unit < 5) {
    value /= 1000;
    ++unit;
  }
  return Format("%.1f ", std::floor(value * 10) / 10) + kUnits[unit];
}

std::optional<int64_t> UnixSecondsFromIso8601(const std::string& text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute, &second,
                  &consumed) != 6 ||
      consumed != 19) {
    return std::nullopt;
  }
  std::string rest = text.substr(19);
  if (!rest.empty() && rest[0] == '.') {
    size_t digits = 1;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
    if (digits == 1) return std::nullopt;
    rest = rest.substr(digits);
  }
  if (rest != "Z") return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm));
}

std::string HumanAgo(const std::string& iso, int64_t now) {
  std::optional<int64_t> then = UnixSecondsFromIso8601(iso);
  if (!then) return iso;
  const int64_t ago = now - *then;
  if (ago < 5) return "just now";
  if (ago < 60) return std::to_string(ago) + " s ago";
  if (ago < 3600) return std::to_string(ago / 60) + " min ago";
  if (ago < 86400) return std::to_string(ago / 3600) + " h ago";
  return Plural(ago / 86400, "day") + " ago";
}

std::optional<int64_t> ParseSeconds(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 9) return std::nullopt;
  const std::string_view unit = text.substr(digits);
  int64_t scale = 0;
  if (unit.empty() || unit == "s") scale = 1;
  else if (unit == "m") scale = 60;
  else if (unit == "h") scale = 3600;
  else if (unit == "d") scale = 86400;
  else return std::nullopt;
  return std::stoll(std::string(text.substr(0, digits))) * scale;
}

}  // namespace tether

// The engine's log: one line per entry on stderr, each with a UTC
// timestamp (ISO 8601 with milliseconds), a level and a message, then the
// entry's fields. Two formats, chosen once per process (`--log-format`, or
// `server.log_format` for `tether serve`):
//
//   text  2026-12-03T10:37:30.123Z info  request method=GET route=/api/v1/projects/{name} status=200
//         (fields as key=value; a value with a space, '"' or '=' is quoted;
//         control characters and invalid UTF-8 as \xNN, so an entry is
//         always one line and nothing from outside can move a terminal's
//         cursor)
//   json  {"time":"2026-12-03T10:37:30.123Z","level":"info","msg":"request","method":"GET",...}
//         (one JSON object per line, for log shippers; numbers and booleans
//         are JSON numbers and booleans, invalid UTF-8 as \xNN text)
//
// Why not spdlog (Debian 12 ships 1.10): it has no fields of its own
// (key/value context came in 1.13) and does not escape JSON, so the JSON
// line would still be written here; what it would add is a locked stderr
// and a level filter, which are a few lines.
//
// What goes in a field is the caller's responsibility: never a secret (a
// token, a signature, a password, a query string that may hold one).
//
// Thread safety: every function, from any thread. Entries are written whole
// (one write call per line, under a lock), so lines of concurrent entries
// never interleave. SetLogFormat is meant to be called once, early; a
// change is seen by the entries written after it.
#ifndef TETHER_ENGINE_LOG_LOG_H_
#define TETHER_ENGINE_LOG_LOG_H_

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace tether::logging {

enum class LogLevel { kInfo, kWarning, kError };
enum class LogFormat { kText, kJson };

// "text" or "json"; nullopt for anything else.
std::optional<LogFormat> ParseLogFormat(std::string_view name);
const char* LogFormatName(LogFormat format);
// "info", "warning", "error".
const char* LogLevelName(LogLevel level);

// One key and its value. The key is a literal of the caller's
// ([a-z_]+ by convention); the value is copied.
struct LogField {
  LogField(const char* k, std::string v) : key(k), value(std::move(v)) {}
  LogField(const char* k, std::string_view v) : key(k), value(std::string(v)) {}
  LogField(const char* k, const char* v) : key(k), value(std::string(v)) {}
  LogField(const char* k, int v) : key(k), value(int64_t{v}) {}
  LogField(const char* k, int64_t v) : key(k), value(v) {}
  LogField(const char* k, uint64_t v) : key(k), value(static_cast<int64_t>(v)) {}
  LogField(const char* k, double v) : key(k), value(v) {}
  LogField(const char* k, bool v) : key(k), value(v) {}

  const char* key;
  std::variant<std::string, int64_t, double, bool> value;
};

// The process's format; text until set.
void SetLogFormat(LogFormat format);
LogFormat CurrentLogFormat();

// One entry, formatted as `format` at `time` (ISO 8601), without the line
// break. Pure: what Log writes, for tests.
std::string FormatLogLine(LogFormat format, std::string_view time, LogLevel level, std::string_view message,
                          std::initializer_list<LogField> fields);

// Writes one entry, stamped now, in the process's format, to stderr.
void Log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});
inline void LogInfo(std::string_view message, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kInfo, message, fields);
}
inline void LogWarning(std::string_view message, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kWarning, message, fields);
}
inline void LogError(std::string_view message, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kError, message, fields);
}

}  // namespace tether::logging

#endif  // TETHER_ENGINE_LOG_LOG_H_

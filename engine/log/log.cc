#include "engine/log/log.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <mutex>

#include "engine/common/json_writer.h"
#include "engine/common/utf8.h"
#include "shared/clock.h"

namespace tether::logging {
namespace {

std::atomic<LogFormat> g_format{LogFormat::kText};
std::mutex g_write_mutex;

void AppendHexByte(std::string* out, unsigned char c) {
  static const char kHex[] = "0123456789abcdef";
  *out += "\\x";
  out->push_back(kHex[c >> 4]);
  out->push_back(kHex[c & 0xf]);
}

// `text` with invalid UTF-8 as \xNN, and with `controls` control
// characters and '\' too (the text format: one line, unambiguous).
std::string Clean(std::string_view text, bool controls) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const size_t length = Utf8SequenceLength(text);
    const unsigned char c = static_cast<unsigned char>(text[0]);
    if (length == 0) {
      AppendHexByte(&out, c);
      text.remove_prefix(1);
      continue;
    }
    if (controls && length == 1 && (c < 0x20 || c == 0x7f || c == '\\')) {
      AppendHexByte(&out, c);
    } else {
      out.append(text.substr(0, length));
    }
    text.remove_prefix(length);
  }
  return out;
}

bool NeedsQuotes(std::string_view value) {
  return value.empty() || value.find_first_of(" \"=") != std::string_view::npos;
}

std::string NumberText(double value) {
  if (!std::isfinite(value)) return "null";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f", value);
  std::string text = buffer;
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

std::string TextLine(std::string_view time, LogLevel level, std::string_view message,
                     std::initializer_list<LogField> fields) {
  std::string line(time);
  line += ' ';
  std::string level_name = LogLevelName(level);
  level_name.resize(7, ' ');  // "warning" is the longest: messages line up
  line += level_name;
  line += ' ';
  line += Clean(message, /*controls=*/true);
  for (const LogField& field : fields) {
    line += ' ';
    line += field.key;
    line += '=';
    if (const auto* text = std::get_if<std::string>(&field.value)) {
      std::string value = Clean(*text, /*controls=*/true);
      if (NeedsQuotes(value)) {
        std::string quoted = "\"";
        for (char c : value) {
          if (c == '"') quoted += "\\x22";
          else quoted.push_back(c);
        }
        value = quoted + "\"";
      }
      line += value;
    } else if (const auto* integer = std::get_if<int64_t>(&field.value)) {
      line += std::to_string(*integer);
    } else if (const auto* number = std::get_if<double>(&field.value)) {
      line += NumberText(*number);
    } else {
      line += std::get<bool>(field.value) ? "true" : "false";
    }
  }
  return line;
}

std::string JsonLine(std::string_view time, LogLevel level, std::string_view message,
                     std::initializer_list<LogField> fields) {
  CompactJsonWriter json;
  json.Begin().Str("time", std::string(time)).Str("level", LogLevelName(level));
  json.Str("msg", Clean(message, /*controls=*/false));
  for (const LogField& field : fields) {
    if (const auto* text = std::get_if<std::string>(&field.value)) {
      json.Str(field.key, Clean(*text, /*controls=*/false));
    } else if (const auto* integer = std::get_if<int64_t>(&field.value)) {
      json.Int(field.key, *integer);
    } else if (const auto* number = std::get_if<double>(&field.value)) {
      if (std::isfinite(*number)) json.Num(field.key, std::round(*number * 1000) / 1000);
      else json.Null(field.key);
    } else {
      json.Bool(field.key, std::get<bool>(field.value));
    }
  }
  return json.End().Text();
}

}  // namespace

std::optional<LogFormat> ParseLogFormat(std::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return std::nullopt;
}

const char* LogFormatName(LogFormat format) {
  switch (format) {
    case LogFormat::kText: return "text";
    case LogFormat::kJson: return "json";
  }
  return "text";
}

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kError: return "error";
  }
  return "info";
}

void SetLogFormat(LogFormat format) { g_format.store(format); }
LogFormat CurrentLogFormat() { return g_format.load(); }

std::string FormatLogLine(LogFormat format, std::string_view time, LogLevel level, std::string_view message,
                          std::initializer_list<LogField> fields) {
  return format == LogFormat::kJson ? JsonLine(time, level, message, fields)
                                    : TextLine(time, level, message, fields);
}

void Log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  std::string line = FormatLogLine(CurrentLogFormat(), NowIso8601(), level, message, fields);
  line += '\n';
  // One write(2) per line: lines of concurrent entries (and of other
  // processes appending to the same file) never interleave.
  std::lock_guard<std::mutex> lock(g_write_mutex);
  const char* data = line.data();
  size_t left = line.size();
  while (left > 0) {
    const ssize_t written = ::write(STDERR_FILENO, data, left);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;  // nowhere to log to
    data += written;
    left -= static_cast<size_t>(written);
  }
}

}  // namespace tether::logging

// The two formats of a log line (engine/log): what an operator greps in the
// text one, and what a log shipper parses in the JSON one.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "engine/log/log.h"

using tether::logging::FormatLogLine;
using tether::logging::LogFormat;
using tether::logging::LogLevel;

namespace {
const char kTime[] = "2026-12-03T10:37:30.123Z";
}  // namespace

TEST_CASE("a text line is the time, the level, the message, then the fields as key=value") {
  const std::string line = FormatLogLine(LogFormat::kText, kTime, LogLevel::kInfo, "request",
                                         {{"method", "GET"}, {"route", "/api/v1/projects/{name}"}, {"status", 200},
                                          {"duration_ms", 1.5}, {"bytes", uint64_t{412}}, {"cached", false}});
  CHECK(line ==
        "2026-12-03T10:37:30.123Z info    request method=GET route=/api/v1/projects/{name} status=200 "
        "duration_ms=1.5 bytes=412 cached=false");
  CHECK(FormatLogLine(LogFormat::kText, kTime, LogLevel::kWarning, "careful", {}) ==
        "2026-12-03T10:37:30.123Z warning careful");
}

TEST_CASE("a text line stays one line: control characters, backslashes and invalid UTF-8 are escaped") {
  const std::string line = FormatLogLine(LogFormat::kText, kTime, LogLevel::kError, "two\nlines\x1b[31m",
                                         {{"path", "a b\"c\\d\xff"}, {"empty", ""}});
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line ==
        "2026-12-03T10:37:30.123Z error   two\\x0alines\\x1b[31m path=\"a b\\x22c\\x5cd\\xff\" empty=\"\"");
}

TEST_CASE("a JSON line is one object with time, level, msg and typed fields") {
  const std::string line = FormatLogLine(LogFormat::kJson, kTime, LogLevel::kWarning, "a \"quoted\"\nmessage \xc3\xa9",
                                         {{"status", 503}, {"duration_ms", 2.34567}, {"ok", true}, {"bad", "\xff"}});
  CHECK(line.find('\n') == std::string::npos);
  rapidjson::Document parsed;
  parsed.Parse(line.c_str(), line.size());
  REQUIRE_FALSE(parsed.HasParseError());
  REQUIRE(parsed.IsObject());
  CHECK(std::string(parsed["time"].GetString()) == kTime);
  CHECK(std::string(parsed["level"].GetString()) == "warning");
  CHECK(std::string(parsed["msg"].GetString()) == "a \"quoted\"\nmessage \xc3\xa9");
  CHECK(parsed["status"].GetInt() == 503);
  CHECK(parsed["duration_ms"].GetDouble() == Approx(2.346));
  CHECK(parsed["ok"].GetBool());
  CHECK(std::string(parsed["bad"].GetString()) == "\\xff");  // invalid UTF-8 never reaches a shipper
}

TEST_CASE("log formats are named text and json, and nothing else") {
  CHECK(tether::logging::ParseLogFormat("json") == LogFormat::kJson);
  CHECK(tether::logging::ParseLogFormat("text") == LogFormat::kText);
  CHECK_FALSE(tether::logging::ParseLogFormat("JSON").has_value());
  CHECK_FALSE(tether::logging::ParseLogFormat("").has_value());
}

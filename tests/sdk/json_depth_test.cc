// tether/json_depth.h: the nesting guard run before every parse of JSON
// from outside.
#include <catch2/catch.hpp>

#include <string>

#include "tether/json_depth.h"

using tether::CheckJsonDepth;
using tether::JsonDepthExceededAt;
using tether::StatusCode;

namespace {
constexpr size_t kNone = std::string::npos;

std::string Nested(size_t levels, char open = '[', char close = ']') {
  return std::string(levels, open) + std::string(levels, close);
}
}  // namespace

TEST_CASE("nesting up to the limit passes and one level more is refused at the opening bracket") {
  CHECK(JsonDepthExceededAt(Nested(64)) == kNone);
  CHECK(JsonDepthExceededAt(Nested(65)) == 64);
  CHECK(JsonDepthExceededAt(Nested(3), 2) == 2);
  CHECK(JsonDepthExceededAt("{\"a\": {\"b\": [1, {\"c\": []}]}}", 5) == kNone);
  CHECK(JsonDepthExceededAt("{\"a\": {\"b\": [1, {\"c\": []}]}}", 4) == 22);
  CHECK(JsonDepthExceededAt("{\"a\": {\"b\": [1, {\"c\": []}]}}", 3) == 16);
  // Siblings do not add up: depth, not count.
  std::string wide;
  for (int i = 0; i < 1000; ++i) wide += "[[]],";
  CHECK(JsonDepthExceededAt("[" + wide + "1]", 3) == kNone);
  CHECK(JsonDepthExceededAt("", 1) == kNone);
  CHECK(JsonDepthExceededAt("42", 0) == kNone);
  CHECK(JsonDepthExceededAt("[]", 0) == 0);
}

TEST_CASE("brackets inside strings do not count, escaped quotes included") {
  CHECK(JsonDepthExceededAt("[\"" + std::string(1000, '[') + "\"]", 1) == kNone);
  CHECK(JsonDepthExceededAt(R"(["\"[[[[", "\\", [1]])", 1) == 17);
  CHECK(JsonDepthExceededAt(R"(["\\"])", 1) == kNone);
  CHECK(JsonDepthExceededAt(R"(["\\\"[[["])", 1) == kNone);
  CHECK(JsonDepthExceededAt(R"({"k\u0022[": {"x": 1}})", 1) == 13);
}

TEST_CASE("a million levels are refused quickly with a message naming the input and the offset") {
  const std::string deep = Nested(1000000);
  tether::Status status = CheckJsonDepth(deep, "webhook body");
  CHECK(status.code() == StatusCode::kInvalidArgument);
  CHECK(status.message() == "webhook body: JSON nested deeper than 64 levels at offset 64");
  CHECK(CheckJsonDepth(deep, "request body", 32).message() ==
        "request body: JSON nested deeper than 32 levels at offset 32");
  // Unbalanced or malformed text is the parser's business, not a crash here.
  CHECK(CheckJsonDepth(std::string(1000000, ']'), "x").ok());
  CHECK(CheckJsonDepth("\"" + std::string(1000000, '['), "x").ok());
  CHECK(CheckJsonDepth(std::string(1000000, '{'), "x").code() == StatusCode::kInvalidArgument);
}

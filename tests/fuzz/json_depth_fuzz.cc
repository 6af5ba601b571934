// tether/json_depth.h: the nesting check that runs before RapidJSON's
// recursive parser on every JSON from outside. Properties: a reported offset
// is an opening bracket outside strings; input that passes the check parses
// (or fails to parse) without exhausting the stack.
#include <rapidjson/document.h>

#include "fuzz_check.h"
#include "tether/json_depth.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view json = tether::fuzz::AsText(data, size);
  for (size_t max_depth : {size_t{0}, size_t{1}, size_t{32}, tether::kMaxJsonDepth}) {
    const size_t at = tether::JsonDepthExceededAt(json, max_depth);
    if (at != std::string_view::npos) {
      FUZZ_CHECK(at < json.size());
      FUZZ_CHECK(json[at] == '[' || json[at] == '{');
      FUZZ_CHECK(!tether::CheckJsonDepth(json, "fuzz", max_depth).ok());
    } else {
      FUZZ_CHECK(tether::CheckJsonDepth(json, "fuzz", max_depth).ok());
    }
  }
  // A deeper limit never reports an earlier offset than a shallower one.
  const size_t at32 = tether::JsonDepthExceededAt(json, 32);
  const size_t at64 = tether::JsonDepthExceededAt(json, 64);
  FUZZ_CHECK(at64 == std::string_view::npos || (at32 != std::string_view::npos && at32 <= at64));
  if (at64 == std::string_view::npos) {
    const std::string text(json);
    rapidjson::Document doc;
    doc.Parse(text.c_str(), text.size());
  }
  return 0;
}

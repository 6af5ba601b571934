// engine/http/url: the query string of every API request.
#include "engine/http/url.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed = tether::http::ParseQuery(tether::fuzz::AsText(data, size));
  if (parsed.ok()) {
    for (const auto& [key, value] : *parsed) FUZZ_CHECK(key.size() + value.size() <= size);
  }
  return 0;
}

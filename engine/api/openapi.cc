#include "engine/api/openapi.h"

#include <cstdio>
#include <cstdlib>

#include <rapidjson/error/en.h>

namespace tether::api {

const rapidjson::Document& OpenApiDocument() {
  static const rapidjson::Document* const document = [] {
    auto* parsed = new rapidjson::Document();  // never freed: static storage
    const std::string_view text = OpenApiText();
    parsed->Parse(text.data(), text.size());
    if (parsed->HasParseError()) {
      // The build embeds the file; a test parses it. Unreachable in a release.
      std::fprintf(stderr, "tether: internal error: the embedded OpenAPI document is not JSON: %s\n",
                   rapidjson::GetParseError_En(parsed->GetParseError()));
      std::abort();
    }
    return parsed;
  }();
  return *document;
}

}  // namespace tether::api

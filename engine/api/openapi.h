// The OpenAPI 3 document of the HTTP API (engine/api/openapi.json,
// embedded in the binary at build time and served at /api/v1/openapi.json).
// Its components/schemas also hold the JSON Schemas request bodies are
// checked against, so the document and the checks cannot drift apart.
//
// Thread safety: both functions return immutable data; safe from any thread.
#ifndef TETHER_ENGINE_API_OPENAPI_H_
#define TETHER_ENGINE_API_OPENAPI_H_

#include <string_view>

#include <rapidjson/document.h>

namespace tether::api {

// The document's text, as shipped. Static storage.
std::string_view OpenApiText();

// The document, parsed once. Static storage.
const rapidjson::Document& OpenApiDocument();

}  // namespace tether::api

#endif  // TETHER_ENGINE_API_OPENAPI_H_

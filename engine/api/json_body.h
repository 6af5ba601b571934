// Reading a request's JSON body: the Content-Type must be JSON, the text
// valid UTF-8 JSON, no member given twice, and the value must satisfy the
// request schema of that name in the OpenAPI document
// (components/schemas/<name>). Each refusal is a Problem that names the
// place: "pointer" is the JSON pointer of the bad field.
//
// Thread safety: pure functions (the OpenAPI document is immutable).
#ifndef TETHER_ENGINE_API_JSON_BODY_H_
#define TETHER_ENGINE_API_JSON_BODY_H_

#include <optional>
#include <string>

#include <rapidjson/document.h>

#include "engine/http/http_types.h"
#include "engine/http/problem.h"

namespace tether::api {

// Parses `request.body` into `*document` and checks it against the schema
// `schema_name`. An empty body is refused unless `body_optional`, in which
// case it reads as {}. Returns the problem, or nullopt when all is well.
std::optional<http::Problem> ReadJsonBody(const http::HttpRequest& request, const std::string& schema_name,
                                    bool body_optional, rapidjson::Document* document);

}  // namespace tether::api

#endif  // TETHER_ENGINE_API_JSON_BODY_H_

// Problem: an error answer of the HTTP API as RFC 9457
// application/problem+json: {"type", "title", "status", "detail"} plus, for
// a bad request body, "pointer" (the JSON pointer of the bad field) and, for
// a bad query parameter, "parameter" (its name).
//
// "type" is "urn:tether:problem:<slug>"; the slugs are listed in the OpenAPI
// document (engine/api/openapi.json) and never change meaning.
//
// Thread safety: plain values and pure functions.
#ifndef TETHER_ENGINE_HTTP_PROBLEM_H_
#define TETHER_ENGINE_HTTP_PROBLEM_H_

#include <string>

#include "engine/http/http_types.h"
#include "tether/status.h"

namespace tether::http {

enum class ProblemType {
  kMalformedRequest,      // 400: not HTTP the server can read
  kMalformedJson,         // 400: the body is not JSON
  kInvalidBody,           // 400: valid JSON that breaks the schema or a rule (with pointer)
  kInvalidParameter,      // 400: a bad query parameter (with parameter)
  kUnauthenticated,       // 401: no token, or a wrong or revoked one
  kForbidden,             // 403
  kNotFound,              // 404
  kMethodNotAllowed,      // 405 (with an Allow header)
  kConflict,              // 409: a name taken, a sync already running
  kPayloadTooLarge,       // 413
  kUnsupportedMediaType,  // 415: a body that is not application/json
  kUnprocessable,         // 422: well-formed, but the provider refuses it (a missing branch, repository)
  kHeaderTooLarge,        // 431
  kRateLimited,           // 429 (with Retry-After)
  kInternal,              // 500
  kUnavailable,           // 503: overloaded, shutting down, the database is unreachable
};

struct Problem {
  ProblemType type = ProblemType::kInternal;
  std::string detail;
  std::string pointer;    // kInvalidBody, kUnprocessable: the JSON pointer of the field; may be ""
  std::string parameter;  // kInvalidParameter: the query parameter's name
  int retry_after_seconds = 0;  // > 0: a Retry-After header
};

int ProblemStatus(ProblemType type);
const char* ProblemSlug(ProblemType type);
const char* ProblemTitle(ProblemType type);

// The problem that fits a Status from the engine: NotFound -> 404,
// InvalidArgument -> 400 invalid-body, Conflict -> 409, Unavailable -> 503,
// RateLimited -> 429, Unauthenticated -> 401, PermissionDenied -> 403,
// anything else -> 500. The detail is the status's message.
Problem ProblemFromStatus(const Status& status);

// The application/problem+json response; 401 gets a WWW-Authenticate
// header, 429 and 503 a Retry-After when the problem has one.
HttpResponse ProblemResponse(const Problem& problem);

}  // namespace tether::http

#endif  // TETHER_ENGINE_HTTP_PROBLEM_H_

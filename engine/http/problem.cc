#include "engine/http/problem.h"

#include "engine/common/json_writer.h"

namespace tether::http {

int ProblemStatus(ProblemType type) {
  switch (type) {
    case ProblemType::kMalformedRequest:
    case ProblemType::kMalformedJson:
    case ProblemType::kInvalidBody:
    case ProblemType::kInvalidParameter: return 400;
    case ProblemType::kUnauthenticated: return 401;
    case ProblemType::kForbidden: return 403;
    case ProblemType::kNotFound: return 404;
    case ProblemType::kMethodNotAllowed: return 405;
    case ProblemType::kConflict: return 409;
    case ProblemType::kPayloadTooLarge: return 413;
    case ProblemType::kUnsupportedMediaType: return 415;
    case ProblemType::kUnprocessable: return 422;
    case ProblemType::kRateLimited: return 429;
    case ProblemType::kHeaderTooLarge: return 431;
    case ProblemType::kInternal: return 500;
    case ProblemType::kUnavailable: return 503;
  }
  return 500;
}

const char* ProblemSlug(ProblemType type) {
  switch (type) {
    case ProblemType::kMalformedRequest: return "malformed-request";
    case ProblemType::kMalformedJson: return "malformed-json";
    case ProblemType::kInvalidBody: return "invalid-body";
    case ProblemType::kInvalidParameter: return "invalid-parameter";
    case ProblemType::kUnauthenticated: return "unauthenticated";
    case ProblemType::kForbidden: return "forbidden";
    case ProblemType::kNotFound: return "not-found";
    case ProblemType::kMethodNotAllowed: return "method-not-allowed";
    case ProblemType::kConflict: return "conflict";
    case ProblemType::kPayloadTooLarge: return "payload-too-large";
    case ProblemType::kUnsupportedMediaType: return "unsupported-media-type";
    case ProblemType::kUnprocessable: return "unprocessable";
    case ProblemType::kRateLimited: return "rate-limited";
    case ProblemType::kHeaderTooLarge: return "header-too-large";
    case ProblemType::kInternal: return "internal";
    case ProblemType::kUnavailable: return "unavailable";
  }
  return "internal";
}

const char* ProblemTitle(ProblemType type) {
  switch (type) {
    case ProblemType::kMalformedRequest: return "Malformed HTTP request";
    case ProblemType::kMalformedJson: return "The body is not valid JSON";
    case ProblemType::kInvalidBody: return "Invalid request body";
    case ProblemType::kInvalidParameter: return "Invalid query parameter";
    case ProblemType::kUnauthenticated: return "Authentication required";
    case ProblemType::kForbidden: return "Forbidden";
    case ProblemType::kNotFound: return "Not found";
    case ProblemType::kMethodNotAllowed: return "Method not allowed";
    case ProblemType::kConflict: return "Conflict";
    case ProblemType::kPayloadTooLarge: return "Request body too large";
    case ProblemType::kUnsupportedMediaType: return "Unsupported media type";
    case ProblemType::kUnprocessable: return "Refused by the repository's provider";
    case ProblemType::kRateLimited: return "Rate limited";
    case ProblemType::kHeaderTooLarge: return "Request header too large";
    case ProblemType::kInternal: return "Internal error";
    case ProblemType::kUnavailable: return "Service unavailable";
  }
  return "Internal error";
}

Problem ProblemFromStatus(const Status& status) {
  Problem problem;
  problem.detail = status.message();
  switch (status.code()) {
    case StatusCode::kNotFound: problem.type = ProblemType::kNotFound; break;
    case StatusCode::kInvalidArgument: problem.type = ProblemType::kInvalidBody; break;
    case StatusCode::kUnauthenticated: problem.type = ProblemType::kUnauthenticated; break;
    case StatusCode::kPermissionDenied: problem.type = ProblemType::kForbidden; break;
    case StatusCode::kRateLimited:
      problem.type = ProblemType::kRateLimited;
      problem.retry_after_seconds = static_cast<int>(status.retry_after_seconds());
      break;
    case StatusCode::kUnavailable: problem.type = ProblemType::kUnavailable; break;
    case StatusCode::kConflict: problem.type = ProblemType::kConflict; break;
    case StatusCode::kOk:
    case StatusCode::kDataLoss:
    case StatusCode::kInternal: problem.type = ProblemType::kInternal; break;
  }
  return problem;
}

HttpResponse ProblemResponse(const Problem& problem) {
  const int status = ProblemStatus(problem.type);
  JsonWriter json;
  json.Begin()
      .Str("type", std::string("urn:tether:problem:") + ProblemSlug(problem.type))
      .Str("title", ProblemTitle(problem.type))
      .Int("status", status)
      .Str("detail", problem.detail);
  if (problem.type == ProblemType::kInvalidBody || problem.type == ProblemType::kUnprocessable) {
    json.Str("pointer", problem.pointer);
  }
  if (problem.type == ProblemType::kInvalidParameter) json.Str("parameter", problem.parameter);
  json.End();

  HttpResponse response;
  response.status = status;
  response.content_type = "application/problem+json";
  response.body = json.Text() + "\n";
  if (problem.type == ProblemType::kUnauthenticated) {
    response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"tether\"");
  }
  if (problem.retry_after_seconds > 0) {
    response.headers.emplace_back("Retry-After", std::to_string(problem.retry_after_seconds));
  }
  return response;
}

}  // namespace tether::http

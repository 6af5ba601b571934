#include "engine/api/json_body.h"

#include <rapidjson/error/en.h>

#include "engine/config/json_checks.h"
#include "engine/api/openapi.h"
#include "tether/json_depth.h"

namespace tether::api {

using http::HttpRequest;
using http::Problem;
using http::ProblemType;
namespace {

// Request bodies are small objects; anything deeper is not one of ours.
constexpr size_t kMaxNesting = 32;

bool IsJsonMediaType(const std::string& content_type) {
  std::string type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (char& c : type) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return type == "application/json" || (type.size() > 5 && type.compare(type.size() - 5, 5, "+json") == 0);
}

Problem Refuse(ProblemType type, std::string detail, std::string pointer = "") {
  Problem problem;
  problem.type = type;
  problem.detail = std::move(detail);
  problem.pointer = std::move(pointer);
  return problem;
}

}  // namespace

std::optional<Problem> ReadJsonBody(const HttpRequest& request, const std::string& schema_name,
                                    bool body_optional, rapidjson::Document* document) {
  const bool empty = request.body.find_first_not_of(" \t\r\n") == std::string::npos;
  if (empty) {
    if (!body_optional) return Refuse(ProblemType::kInvalidBody, "the request needs a JSON object as its body");
    document->SetObject();
  } else {
    const std::string* content_type = request.Header("content-type");
    if (content_type == nullptr || !IsJsonMediaType(*content_type)) {
      return Refuse(ProblemType::kUnsupportedMediaType,
                    "the body must be JSON, sent with Content-Type: application/json" +
                        (content_type == nullptr ? std::string(" (there was no Content-Type)")
                                                 : " (not \"" + *content_type + "\")"));
    }
    // Before the parser: a body nested deeper than any request schema is
    // refused without building its tree.
    Status depth = CheckJsonDepth(request.body, "request body", kMaxNesting);
    if (!depth.ok()) return Refuse(ProblemType::kInvalidBody, depth.message());
    document->Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(request.body.data(),
                                                                                           request.body.size());
    if (document->HasParseError()) {
      return Refuse(ProblemType::kMalformedJson, "the body is not valid JSON: " +
                                                     std::string(rapidjson::GetParseError_En(document->GetParseError())) +
                                                     " (at byte " + std::to_string(document->GetErrorOffset()) + ")");
    }
  }
  if (std::optional<config::JsonViolation> bad = config::CheckJsonStructure(*document, static_cast<int>(kMaxNesting))) {
    return Refuse(ProblemType::kInvalidBody, bad->ToString(), bad->pointer);
  }
  const rapidjson::Document& openapi = OpenApiDocument();
  const rapidjson::Value& schemas = openapi["components"]["schemas"];
  auto schema = schemas.FindMember(schema_name.c_str());
  if (schema == schemas.MemberEnd()) {
    return Refuse(ProblemType::kInternal, "no request schema called \"" + schema_name + "\"");
  }
  if (std::optional<config::JsonViolation> bad = config::CheckJsonSchema(schema->value, *document)) {
    return Refuse(ProblemType::kInvalidBody, bad->ToString(), bad->pointer);
  }
  return std::nullopt;
}

}  // namespace tether::api

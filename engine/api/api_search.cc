// Api: GET /api/v1/search, a project's synced code searched by text or by
// symbol name (engine/search, the same use case as `tether search`). The
// project is a query parameter; only the caller's tenant's projects are
// found.
#include "engine/api/api.h"
#include "engine/common/json_writer.h"
#include "engine/search/search.h"

namespace tether::api {
namespace {

// The query parameter a request's field came in.
std::string ParameterOf(const std::string& field) {
  if (field == "query") return "q";
  return field;
}

Problem InvalidParameter(const std::string& name, const std::string& detail) {
  Problem problem;
  problem.type = ProblemType::kInvalidParameter;
  problem.parameter = name;
  problem.detail = "query parameter \"" + name + "\": " + detail;
  return problem;
}

}  // namespace

HttpResponse Api::Search(Call& call) {
  if (std::optional<Problem> bad = CheckQuery(call, {"project", "q", "mode", "limit", "path", "case_sensitive",
                                                     "analyzer"})) {
    return Fail(*bad);
  }
  search::SearchRequest request;
  std::string mode = "text", case_sensitive = "false";
  // Lengths are the use case's to check (it names the limit); these bound
  // what is read at all.
  if (std::optional<Problem> bad = TextParam(call, "project", 256, &request.project)) return Fail(*bad);
  if (std::optional<Problem> bad = TextParam(call, "q", 64 * 1024, &request.query)) return Fail(*bad);
  if (std::optional<Problem> bad = TextParam(call, "mode", 64, &mode)) return Fail(*bad);
  if (std::optional<Problem> bad = TextParam(call, "path", 64 * 1024, &request.path_prefix)) return Fail(*bad);
  if (std::optional<Problem> bad = TextParam(call, "case_sensitive", 16, &case_sensitive)) return Fail(*bad);
  if (std::optional<Problem> bad = TextParam(call, "analyzer", 64, &request.analyzer)) return Fail(*bad);
  if (request.project.empty()) return Fail(InvalidParameter("project", "the project to search is required"));
  std::optional<search::SearchMode> parsed = search::ParseSearchMode(mode);
  if (!parsed) return Fail(InvalidParameter("mode", "give text, symbol or semantic"));
  request.mode = *parsed;
  if (case_sensitive == "true" || case_sensitive == "1") {
    request.case_sensitive = true;
  } else if (case_sensitive != "false" && case_sensitive != "0") {
    return Fail(InvalidParameter("case_sensitive", "give true or false"));
  }
  int64_t limit = search::kDefaultSearchLimit;
  if (std::optional<Problem> bad = IntParam(call, "limit", 1, search::kMaxSearchLimit, &limit)) return Fail(*bad);
  request.limit = static_cast<int>(limit);
  if (std::optional<search::SearchInputError> bad = search::CheckSearchRequest(request)) {
    return Fail(InvalidParameter(ParameterOf(bad->field), bad->message));
  }
  Result<search::SearchResults> results = search::Search(*plugins_, call.db, call.token.tenant_id, request, &semantic_cache_);
  if (!results.ok()) return Fail(results.status());
  JsonWriter json;
  json.Begin();
  search::WriteSearchResults(json, *results);
  json.End();
  return Json(200, json.Text());
}

}  // namespace tether::api

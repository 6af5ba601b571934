// Api: what analyzers found in a project's current documents, read through
// the project's storage plugin: symbol search, and one document's result.
// Only the project's current documents: never a result of a file that left
// the branch.
#include "engine/api/api.h"
#include "engine/common/json_writer.h"
#include "engine/common/utf8.h"
#include "engine/docs/docs_pages.h"
#include "engine/views/json_views.h"
#include "tether/storage.h"

namespace tether::api {
namespace {

constexpr int64_t kDefaultHits = 50;
constexpr int64_t kMaxHits = 1000;

}  // namespace

std::optional<Problem> Api::TextParam(const Call& call, const std::string& name, size_t max, std::string* value) {
  auto it = call.query.find(name);
  if (it == call.query.end()) return std::nullopt;
  if (!IsValidUtf8(it->second) || it->second.find('\0') != std::string::npos || it->second.size() > max) {
    Problem problem;
    problem.type = ProblemType::kInvalidParameter;
    problem.parameter = name;
    problem.detail = "query parameter \"" + name + "\" must be UTF-8 text of at most " + std::to_string(max) + " bytes";
    return problem;
  }
  *value = it->second;
  return std::nullopt;
}

// The caller's project, its storage and the key of the analyzer `name`,
// for reading results; NotFound or Unavailable when one is missing.
Result<Api::AnalysisSource> Api::FindAnalysisSource(Call& call, const std::string& name) {
  Result<db::Project> project = LoadProject(call);
  if (!project.ok()) return project.status();
  Result<Analyzer*> analyzer = plugins_->FindAnalyzer(name);
  if (!analyzer.ok()) {
    if (analyzer.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("no analyzer \"" + name + "\" is configured on this server");
    }
    return Status::Unavailable("analyzer \"" + name + "\" cannot be used: " + analyzer.status().message());
  }
  Result<Storage*> storage = plugins_->FindStorage(project->storage);
  if (!storage.ok()) return Status::Unavailable("the project's storage is not loaded: " + storage.status().message());
  if (!plugins_->StorageKeepsAnalysis(project->storage)) {
    return Status::Unavailable("the project's storage \"" + project->storage + "\" keeps no analysis results");
  }
  AnalysisSource source;
  source.storage = *storage;
  source.storage_name = project->storage;
  source.project = ProjectRef{project->id, project->tenant_id};
  source.project_name = project->name;
  source.key = (*analyzer)->Key();
  return source;
}

HttpResponse Api::SearchSymbols(Call& call) {
  if (std::optional<Problem> bad = CheckQuery(call, {"q", "kind", "path", "limit", "analyzer"})) return Fail(*bad);
  SymbolQuery query;
  std::string analyzer = "code";
  if (std::optional<Problem> bad = TextParam(call, "q", 1024, &query.text)) return Fail(*bad);
  if (std::optional<Problem> bad = TextParam(call, "kind", 64, &query.kind)) return Fail(*bad);
  if (std::optional<Problem> bad = TextParam(call, "path", 4096, &query.path_prefix)) return Fail(*bad);
  if (std::optional<Problem> bad = TextParam(call, "analyzer", 64, &analyzer)) return Fail(*bad);
  if (query.text.empty()) {
    Problem problem;
    problem.type = ProblemType::kInvalidParameter;
    problem.parameter = "q";
    problem.detail = "query parameter \"q\" (the name to search for) is required";
    return Fail(problem);
  }
  int64_t limit = kDefaultHits;
  if (std::optional<Problem> bad = IntParam(call, "limit", 1, kMaxHits, &limit)) return Fail(*bad);
  query.limit = static_cast<int>(limit);
  Result<AnalysisSource> source = FindAnalysisSource(call, analyzer);
  if (!source.ok()) return Fail(source.status());
  query.key = source->key;
  Result<SymbolPage> page = source->storage->SearchSymbols(source->project, query);
  if (!page.ok()) return Fail(page.status());
  JsonWriter json;
  json.Begin().BeginArray("symbols");
  for (const SymbolHit& hit : page->hits) views::WriteSymbolHit(json, hit);
  json.EndArray().Bool("more", page->more).End();
  return Json(200, json.Text());
}

HttpResponse Api::GetAnalysis(Call& call) {
  if (std::optional<Problem> bad = CheckQuery(call, {"analyzer"})) return Fail(*bad);
  std::string analyzer = "code";
  if (std::optional<Problem> bad = TextParam(call, "analyzer", 64, &analyzer)) return Fail(*bad);
  Result<AnalysisSource> source = FindAnalysisSource(call, analyzer);
  if (!source.ok()) return Fail(source.status());
  Result<AnalysisResult> result = source->storage->GetAnalysis(source->project, source->key, call.params["path"]);
  if (!result.ok()) return Fail(result.status());
  JsonWriter json;
  json.Begin().Str("path", call.params["path"]).Str("analyzer", source->key.id)
      .Str("version", source->key.version).Str("blob", result->blob_id).StrOrNull("language", result->language)
      .Str("outcome", AnalysisOutcomeName(result->outcome)).StrOrNull("reason", result->reason);
  json.writer().Key("data");
  if (result->outcome == AnalysisOutcome::kAnalyzed && !result->data.empty()) {
    json.writer().RawValue(result->data.data(), result->data.size(), rapidjson::kObjectType);
  } else {
    json.writer().Null();
  }
  json.BeginArray("symbols");
  for (const Symbol& s : result->symbols) {
    json.writer().StartObject();
    json.Str("name", s.name).Str("kind", s.kind).Int("start_line", s.start_line).Int("end_line", s.end_line)
        .StrOrNull("signature", s.signature).StrOrNull("parent", s.parent).StrOrNull("doc", s.doc);
    json.writer().EndObject();
  }
  json.EndArray().End();
  return Json(200, json.Text());
}

HttpResponse Api::GetDocs(Call& call) {
  if (std::optional<Problem> bad = CheckQuery(call, {"analyzer"})) return Fail(*bad);
  std::string analyzer = "docs";
  if (std::optional<Problem> bad = TextParam(call, "analyzer", 64, &analyzer)) return Fail(*bad);
  Result<AnalysisSource> source = FindAnalysisSource(call, analyzer);
  if (!source.ok()) return Fail(source.status());
  if (!plugins_->StorageKeepsOutputs(source->storage_name)) {
    return Fail(Status::Unavailable("the project's storage \"" + source->storage_name +
                                    "\" keeps no documentation (it is built for an SDK before 3.3)"));
  }
  // A file's page when the path names a file, else a directory's index.
  std::string path = call.params.count("path") != 0 ? call.params["path"] : std::string();
  while (!path.empty() && path.back() == '/') path.pop_back();
  docs::PagesSource pages;
  pages.storage = source->storage;
  pages.project = source->project;
  pages.analyzer_id = source->key.id;
  Result<docs::Page> page = docs::ReadPageFor(pages, path);
  if (!page.ok()) {
    if (page.status().code() == StatusCode::kNotFound) {
      return Fail(Status::NotFound("no documentation for \"" + path + "\" in project \"" + source->project_name +
                                   "\" (no such file or folder, or " + source->key.id + " has not written it yet)"));
    }
    return Fail(page.status());
  }
  JsonWriter json;
  json.Begin().Str("path", path).Str("page", page->path).Str("title", page->title).Str("markdown", page->markdown)
      .Str("html", docs::MarkdownHtml(page->markdown)).Str("updated_at", page->updated_at).End();
  return Json(200, json.Text());
}

}  // namespace tether::api

#include "engine/search/search.h"

#include "engine/common/utf8.h"
#include "engine/db/project_store.h"
#include "engine/search/semantic_search.h"
#include "shared/embedding_outputs.h"
#include "shared/percent_encoding.h"
#include "tether/storage.h"

namespace tether::search {
namespace {

constexpr size_t kMaxPathBytes = 4096;
constexpr char kEmbeddingsAnalyzer[] = "embeddings";

// How many characters the valid UTF-8 `text` holds.
size_t Characters(std::string_view text) {
  size_t characters = 0;
  for (size_t at = 0; at < text.size(); ++characters) at += Utf8SequenceLength(text.substr(at));
  return characters;
}

// The checks of a text parameter every mode shares; nullopt when it passes.
std::optional<std::string> BadText(const std::string& value, size_t max_bytes) {
  if (value.size() > max_bytes) {
    return "is " + std::to_string(value.size()) + " bytes; at most " + std::to_string(max_bytes) + " are allowed";
  }
  if (value.find('\0') != std::string::npos) return std::string("holds a NUL character");
  if (!IsValidUtf8(value)) return std::string("is not valid UTF-8");
  return std::nullopt;
}

SearchHit FromText(TextHit hit) {
  SearchHit out;
  out.path = std::move(hit.path);
  out.language = std::move(hit.language);
  out.start_line = hit.start_line;
  out.end_line = hit.end_line;
  out.score = static_cast<double>(hit.matches);
  out.snippet = std::move(hit.snippet);
  return out;
}

SearchHit FromSymbol(SymbolHit hit) {
  SearchHit out;
  out.path = std::move(hit.path);
  out.language = std::move(hit.language);
  out.start_line = hit.symbol.start_line;
  out.end_line = hit.symbol.end_line;
  out.score = static_cast<double>(3 - std::min(std::max(hit.match, 0), 2));
  out.snippet = hit.symbol.signature.empty() ? hit.symbol.name : std::move(hit.symbol.signature);
  out.symbol = std::move(hit.symbol.name);
  out.symbol_kind = std::move(hit.symbol.kind);
  return out;
}

Status TextSearch(const plugin_host::PluginHost& plugins, Storage* storage, const db::Project& project,
                  const SearchRequest& request, SearchResults* results) {
  if (!plugins.StorageSearchesText(project.storage)) {
    return Status::Unavailable("the project's storage \"" + project.storage +
                               "\" cannot search text: it is built for an SDK before 3.5");
  }
  TextQuery query;
  query.text = request.query;
  query.case_sensitive = request.case_sensitive;
  query.path_prefix = request.path_prefix;
  query.limit = request.limit;
  Result<TextPage> page = storage->SearchText(ProjectRef{project.id, project.tenant_id}, query);
  if (!page.ok()) return page.status();
  results->commit = page->commit;
  results->more = page->more;
  for (TextHit& hit : page->hits) results->hits.push_back(FromText(std::move(hit)));
  return Status::Ok();
}

// The first configured analyzer that has an embedder (the embeddings
// analyzer), and that embedder.
struct Embeddings {
  std::string analyzer_name;
  Analyzer* analyzer = nullptr;
  Embedder* embedder = nullptr;
};

Result<Embeddings> FindEmbeddings(const plugin_host::PluginHost& plugins) {
  for (const std::string& name : plugins.AnalyzerNames()) {
    if (!plugins.AnalyzerKnowsEmbeddings(name)) continue;
    Result<Analyzer*> analyzer = plugins.FindAnalyzer(name);
    if (!analyzer.ok()) continue;
    if (Embedder* embedder = (*analyzer)->Embeddings()) return Embeddings{name, *analyzer, embedder};
  }
  return Status::InvalidArgument("semantic search needs the embeddings analyzer, which is not configured "
                          "(a plugin {\"name\": \"embeddings\", \"kind\": \"analyzer\", \"settings\": "
                          "{\"provider\": \"hashing\"}} needs no service); search with mode text or symbol");
}

Status SemanticSearch(const plugin_host::PluginHost& plugins, Storage* storage, const db::Project& project,
                      const SearchRequest& request, SemanticIndexCache* cache, SearchResults* results) {
  Result<Embeddings> model = FindEmbeddings(plugins);
  if (!model.ok()) return model.status();
  if (!plugins.StorageKeepsOutputs(project.storage) || !plugins.StorageKeepsVectors(project.storage)) {
    return Status::Unavailable("the project's storage \"" + project.storage +
                               "\" keeps no vectors: it is built for an SDK before 3.5");
  }
  const ProjectRef ref{project.id, project.tenant_id};
  Result<CommitId> cursor = storage->ReadCursor(ref);
  if (!cursor.ok()) return cursor.status();
  results->commit = *cursor;
  SemanticQuery query;
  query.text = request.query;
  query.path_prefix = request.path_prefix;
  query.limit = request.limit;
  // The project's vectors stay in the old space after a change of model
  // until the step has made them all in the new one, then move at once:
  // the query is embedded in whichever space they are in (ABI 3.6), read
  // again if they moved in between.
  Result<SemanticPage> page = Status::Internal("not searched");
  for (int attempt = 0; attempt < 2; ++attempt) {
    Embedder* embedder = model->embedder;
    Result<StoredOutput> stored =
        storage->GetRepositoryOutput(ref, kEmbeddingsAnalyzer, std::string(embeddings::kSpaceOutput));
    if (stored.ok() && stored->output.content != embedder->Space() &&
        plugins.AnalyzerEmbedsInOtherSpaces(model->analyzer_name)) {
      if (Embedder* earlier = model->analyzer->EmbeddingsIn(stored->output.content)) embedder = earlier;
    }
    page = search::SemanticSearch(storage, ref, embedder, query, cache);
    if (page.ok() || page.status().code() != StatusCode::kUnavailable || !stored.ok()) break;
    Result<StoredOutput> now =
        storage->GetRepositoryOutput(ref, kEmbeddingsAnalyzer, std::string(embeddings::kSpaceOutput));
    if (!now.ok() || now->output.content == stored->output.content) break;
  }
  if (!page.ok()) return page.status();
  results->space = page->space;
  results->more = page->chunks > static_cast<int64_t>(page->hits.size());
  results->compared = page->chunks;
  for (SemanticHit& hit : page->hits) {
    SearchHit out;
    out.path = std::move(hit.path);
    out.start_line = hit.start_line;
    out.end_line = hit.end_line;
    out.score = hit.score;
    out.snippet = std::move(hit.snippet);
    results->hits.push_back(std::move(out));
  }
  return Status::Ok();
}

Status SymbolSearch(const plugin_host::PluginHost& plugins, Storage* storage, const db::Project& project,
                    const SearchRequest& request, SearchResults* results) {
  Result<Analyzer*> analyzer = plugins.FindAnalyzer(request.analyzer);
  if (!analyzer.ok()) {
    if (analyzer.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("symbol search reads the analyzer \"" + request.analyzer +
                              "\"'s results, and no such analyzer is configured");
    }
    return Status::Unavailable("analyzer \"" + request.analyzer + "\" cannot be used: " + analyzer.status().message());
  }
  if (!plugins.StorageKeepsAnalysis(project.storage)) {
    return Status::Unavailable("the project's storage \"" + project.storage +
                               "\" keeps no analysis results: it is built for an SDK before 3.2");
  }
  const ProjectRef ref{project.id, project.tenant_id};
  Result<CommitId> cursor = storage->ReadCursor(ref);
  if (!cursor.ok()) return cursor.status();
  results->commit = *cursor;
  SymbolQuery query;
  query.key = (*analyzer)->Key();
  query.text = request.query;
  query.path_prefix = request.path_prefix;
  query.limit = request.limit;
  Result<SymbolPage> page = storage->SearchSymbols(ref, query);
  if (!page.ok()) return page.status();
  results->more = page->more;
  for (SymbolHit& hit : page->hits) results->hits.push_back(FromSymbol(std::move(hit)));
  return Status::Ok();
}

}  // namespace

std::optional<SearchMode> ParseSearchMode(std::string_view name) {
  if (name == "text") return SearchMode::kText;
  if (name == "symbol") return SearchMode::kSymbol;
  if (name == "semantic") return SearchMode::kSemantic;
  return std::nullopt;
}

const char* SearchModeName(SearchMode mode) {
  switch (mode) {
    case SearchMode::kText: return "text";
    case SearchMode::kSymbol: return "symbol";
    case SearchMode::kSemantic: return "semantic";
  }
  return "text";
}

std::optional<SearchInputError> CheckSearchRequest(const SearchRequest& request) {
  if (request.query.empty()) return SearchInputError{"query", "give the text to search for"};
  if (std::optional<std::string> bad = BadText(request.query, kTextQueryMaxBytes)) {
    return SearchInputError{"query", "the search text " + *bad};
  }
  if (request.mode == SearchMode::kText) {
    const size_t characters = Characters(request.query);
    if (characters < static_cast<size_t>(kTextQueryMinChars)) {
      return SearchInputError{"query", "text search needs at least " + std::to_string(kTextQueryMinChars) +
                                           " characters (its index is of 3-character sequences); \"" +
                                           request.query + "\" has " + std::to_string(characters) +
                                           ". For a short name, search with mode symbol"};
    }
  }
  if (request.limit < 1 || request.limit > kMaxSearchLimit) {
    return SearchInputError{"limit", "the limit must be 1 to " + std::to_string(kMaxSearchLimit) + ", not " +
                                         std::to_string(request.limit)};
  }
  if (std::optional<std::string> bad = BadText(request.path_prefix, kMaxPathBytes)) {
    return SearchInputError{"path", "the path prefix " + *bad};
  }
  return std::nullopt;
}

Result<SearchResults> Search(const plugin_host::PluginHost& plugins, db::Database* db, const std::string& tenant,
                             const SearchRequest& request, SemanticIndexCache* semantic_cache) {
  if (std::optional<SearchInputError> bad = CheckSearchRequest(request)) {
    return Status::InvalidArgument(bad->message);
  }
  Result<db::Project> project = db::ProjectStore(db).Get(tenant, request.project);
  if (!project.ok()) return project.status();
  Result<Storage*> storage = plugins.FindStorage(project->storage);
  if (!storage.ok()) {
    return Status::Unavailable("the project's storage \"" + project->storage +
                               "\" is not loaded: " + storage.status().message());
  }
  SearchResults results;
  results.project = project->name;
  results.branch = project->branch;
  results.mode = request.mode;
  Status searched;
  switch (request.mode) {
    case SearchMode::kText: searched = TextSearch(plugins, *storage, *project, request, &results); break;
    case SearchMode::kSymbol: searched = SymbolSearch(plugins, *storage, *project, request, &results); break;
    case SearchMode::kSemantic: searched = SemanticSearch(plugins, *storage, *project, request, semantic_cache, &results); break;
  }
  if (!searched.ok()) return searched;
  return results;
}

std::string WebFileLink(const std::string& project, const std::string& path, int64_t start, int64_t end) {
  std::string link = "/#/p/" + PercentEncode(project) + "/file/" + PercentEncode(path, "/");
  if (start > 0) {
    link += "?L=" + std::to_string(start);
    if (end > start) link += "-" + std::to_string(end);
  }
  return link;
}

namespace {

template <typename W>
void WriteResults(W& out, const SearchResults& results) {
  out.Str("project", results.project).Str("branch", results.branch).StrOrNull("commit", results.commit)
      .Str("mode", SearchModeName(results.mode));
  out.BeginArray("hits");
  for (const SearchHit& hit : results.hits) {
    out.writer().StartObject();
    out.Str("path", hit.path).StrOrNull("language", hit.language).Int("start_line", hit.start_line)
        .Int("end_line", hit.end_line).Num("score", hit.score).Str("snippet", hit.snippet);
    if (results.mode == SearchMode::kSymbol) out.Str("symbol", hit.symbol).Str("kind", hit.symbol_kind);
    out.Str("link", WebFileLink(results.project, hit.path, hit.start_line, hit.end_line));
    out.writer().EndObject();
  }
  out.EndArray().Bool("more", results.more);
  if (results.mode == SearchMode::kSemantic) out.Int("compared", results.compared).Str("space", results.space);
}

}  // namespace

void WriteSearchResults(JsonWriter& out, const SearchResults& results) { WriteResults(out, results); }
void WriteSearchResults(CompactJsonWriter& out, const SearchResults& results) { WriteResults(out, results); }

}  // namespace tether::search

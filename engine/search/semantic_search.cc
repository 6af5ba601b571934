#include "engine/search/semantic_search.h"

#include <algorithm>
#include <map>

#include "engine/common/utf8.h"

namespace tether::search {
namespace {

constexpr size_t kSnippetBytes = 400;

// Lines [start, end] of `text`, cut to about kSnippetBytes at a UTF-8
// boundary.
std::string Snippet(const std::string& text, int32_t start, int32_t end) {
  size_t at = 0;
  for (int32_t line = 1; line < start && at < text.size(); ++line) {
    size_t newline = text.find('\n', at);
    at = newline == std::string::npos ? text.size() : newline + 1;
  }
  size_t stop = at;
  for (int32_t line = start; line <= end && stop < text.size(); ++line) {
    size_t newline = text.find('\n', stop);
    stop = newline == std::string::npos ? text.size() : newline + 1;
  }
  std::string piece = text.substr(at, std::min(stop - at, kSnippetBytes));
  if (stop - at > kSnippetBytes) {
    const size_t last_line_end = piece.rfind('\n');
    if (last_line_end != std::string::npos && last_line_end > 0) piece.resize(last_line_end);  // whole lines
  }
  while (!piece.empty() && !IsValidUtf8(piece)) piece.pop_back();
  while (!piece.empty() && (piece.back() == '\n' || piece.back() == '\r')) piece.pop_back();
  return piece;
}

}  // namespace

Result<SemanticPage> SemanticSearch(Storage* storage, const ProjectRef& project, Embedder* embedder,
                                    const SemanticQuery& query, SemanticIndexCache* cache) {
  if (query.text.empty() || query.text.size() > 10000 || !IsValidUtf8(query.text)) {
    return Status::InvalidArgument("a semantic search's query is 1 to 10,000 bytes of UTF-8");
  }
  if (query.limit < 1 || query.limit > 1000) return Status::InvalidArgument("a search returns 1 to 1000 results");
  std::shared_ptr<const SemanticIndex> index;
  if (cache != nullptr) {
    Result<std::shared_ptr<const SemanticIndex>> cached = cache->Get(storage, project, embedder->Space());
    if (!cached.ok()) return cached.status();
    index = std::move(*cached);
  } else {
    Result<std::unique_ptr<SemanticIndex>> built = SemanticIndex::Build(storage, project, embedder->Space());
    if (!built.ok()) return built.status();
    index = std::move(*built);
  }
  Result<std::vector<std::vector<float>>> embedded = embedder->Embed({query.text});
  if (!embedded.ok()) return embedded.status().WithContext("embedding the query");
  if (embedded->size() != 1) return Status::Internal("the embedder returned no vector for the query");
  if (embedded->front().empty()) return Status::InvalidArgument("the embedding model refused the query");
  SemanticPage page;
  page.space = index->space();
  if (!index->chunks().empty() && embedded->front().size() != index->dimensions()) {
    return Status::Unavailable("the query's vector has " + std::to_string(embedded->front().size()) +
                               " dimensions and the project's " + std::to_string(index->dimensions()) +
                               ": the embedding model answers with another length than when it made them");
  }
  const std::vector<NearChunk> near =
      index->Nearest(embedded->front(), query.path_prefix, static_cast<size_t>(query.limit), &page.chunks);
  std::map<std::string, std::string> texts;
  for (const NearChunk& n : near) {
    const std::string& path = index->paths()[n.chunk->path];
    auto text = texts.find(path);
    if (text == texts.end()) {
      Result<StoredDocument> document = storage->GetDocument(project, path);
      text = texts.emplace(path, document.ok() ? document->content : std::string()).first;
    }
    page.hits.push_back({path, n.chunk->start_line, n.chunk->end_line, n.score,
                         Snippet(text->second, n.chunk->start_line, n.chunk->end_line)});
  }
  return page;
}

}  // namespace tether::search

#include "engine/search/semantic_search.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "engine/common/utf8.h"
#include "shared/embedding_outputs.h"

namespace tether::search {
namespace {

constexpr char kAnalyzer[] = "embeddings";
constexpr size_t kVectorsPerRead = 2000;
constexpr size_t kSnippetBytes = 400;

class CurrentFiles : public EntrySink {
 public:
  Status OnEntry(const Entry& entry) override {
    if (SameContentKind(entry.kind, EntryKind::kFile)) blobs_[entry.path] = entry.blob_id;
    return Status::Ok();
  }
  const std::unordered_map<std::string, BlobId>& blobs() const { return blobs_; }

 private:
  std::unordered_map<std::string, BlobId> blobs_;
};

struct Located {
  std::string path;
  int32_t start_line;
  int32_t end_line;
  std::string hash;
};

double Norm(const std::vector<float>& v) {
  double sum = 0;
  for (float f : v) sum += static_cast<double>(f) * f;
  return std::sqrt(sum);
}

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
                                    const SemanticQuery& query) {
  if (query.text.empty() || query.text.size() > 10000 || !IsValidUtf8(query.text)) {
    return Status::InvalidArgument("a semantic search's query is 1 to 10,000 bytes of UTF-8");
  }
  if (query.limit < 1 || query.limit > 1000) return Status::InvalidArgument("a search returns 1 to 1000 results");
  SemanticPage page;
  Result<StoredOutput> space = storage->GetRepositoryOutput(project, kAnalyzer, std::string(embeddings::kSpaceOutput));
  if (!space.ok()) {
    if (space.status().code() != StatusCode::kNotFound) return space.status();
    return Status::NotFound("the project has no vectors yet: the embeddings analyzer makes them when the project's "
                            "files are analysed (tether sync, or tether analyze)");
  }
  page.space = space->output.content;
  if (page.space != embedder->Space()) {
    return Status::Unavailable("the project's vectors are in space " + page.space + ", the embeddings analyzer's now " +
                               embedder->Space() + ": the next analysis of the project builds them");
  }

  CurrentFiles current;
  TETHER_RETURN_IF_ERROR(storage->ListEntries(project, &current));
  std::vector<Located> chunks;
  RepositoryOutputQuery outputs;
  outputs.analyzer_id = kAnalyzer;
  outputs.prefix = std::string(embeddings::kChunksPrefix) + query.path_prefix;
  outputs.limit = 500;
  outputs.with_content = true;
  std::vector<embeddings::ChunkLine> lines;
  while (true) {
    Result<RepositoryOutputPage> listed = storage->ListRepositoryOutputs(project, outputs);
    if (!listed.ok()) return listed.status();
    for (const StoredOutput& o : listed->outputs) {
      const std::string path = o.output.name.substr(embeddings::kChunksPrefix.size());
      auto blob = current.blobs().find(path);
      if (blob == current.blobs().end() || blob->second != o.output.key) continue;  // not the current file
      if (!embeddings::ParseChunkList(o.output.content, &lines)) {
        return Status::Internal("the chunk list of \"" + path + "\" is damaged");
      }
      for (embeddings::ChunkLine& l : lines) chunks.push_back({path, l.start_line, l.end_line, std::move(l.hash)});
    }
    if (!listed->more || listed->outputs.empty()) break;
    outputs.after = listed->outputs.back().output.name;
  }

  Result<std::vector<std::vector<float>>> embedded = embedder->Embed({query.text});
  if (!embedded.ok()) return embedded.status().WithContext("embedding the query");
  if (embedded->size() != 1) return Status::Internal("the embedder returned no vector for the query");
  if (embedded->front().empty()) return Status::InvalidArgument("the embedding model refused the query");
  const std::vector<float>& q = embedded->front();
  const double q_norm = Norm(q);

  // Each distinct text's score, read in batches.
  std::unordered_map<std::string, double> scores;
  std::vector<std::string> hashes;
  for (const Located& c : chunks) {
    if (scores.emplace(c.hash, 0).second) hashes.push_back(c.hash);
  }
  for (size_t first = 0; first < hashes.size(); first += kVectorsPerRead) {
    std::vector<std::string> some(hashes.begin() + static_cast<long>(first),
                                  hashes.begin() + static_cast<long>(std::min(hashes.size(), first + kVectorsPerRead)));
    Result<std::vector<StoredVector>> vectors = storage->GetVectors(project.tenant, page.space, some);
    if (!vectors.ok()) return vectors.status();
    for (const StoredVector& v : *vectors) {
      if (v.values.size() != q.size()) continue;
      double dot = 0;
      for (size_t i = 0; i < q.size(); ++i) dot += static_cast<double>(q[i]) * v.values[i];
      const double norm = q_norm * Norm(v.values);
      scores[v.hash] = norm > 0 ? dot / norm : 0;
    }
  }
  page.chunks = static_cast<int64_t>(chunks.size());
  std::vector<size_t> order(chunks.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto better = [&](size_t a, size_t b) {
    const double sa = scores[chunks[a].hash], sb = scores[chunks[b].hash];
    if (sa != sb) return sa > sb;
    if (chunks[a].path != chunks[b].path) return chunks[a].path < chunks[b].path;
    return chunks[a].start_line < chunks[b].start_line;
  };
  const size_t keep = std::min(order.size(), static_cast<size_t>(query.limit));
  std::partial_sort(order.begin(), order.begin() + static_cast<long>(keep), order.end(), better);
  std::map<std::string, std::string> texts;
  for (size_t k = 0; k < keep; ++k) {
    const Located& c = chunks[order[k]];
    auto text = texts.find(c.path);
    if (text == texts.end()) {
      Result<StoredDocument> document = storage->GetDocument(project, c.path);
      text = texts.emplace(c.path, document.ok() ? document->content : std::string()).first;
    }
    page.hits.push_back({c.path, c.start_line, c.end_line, scores[c.hash], Snippet(text->second, c.start_line, c.end_line)});
  }
  return page;
}

}  // namespace tether::search

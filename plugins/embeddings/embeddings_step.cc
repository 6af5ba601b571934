#include "embeddings_step.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "chunker.h"
#include "shared/embedding_outputs.h"

namespace tether::embeddings {
namespace {

// Files read (results and texts) per round.
constexpr size_t kFilesPerRound = 256;

std::string ChunksOutput(const std::string& path) { return std::string(kChunksPrefix) + path; }

// The texts still to embed, in the order they were found, and the files
// each one is in (a text the model refuses leaves them pending).
class Queue {
 public:
  Queue(const RepositoryView& view, Embedder* embedder, std::string space, size_t batch)
      : view_(view), embedder_(embedder), space_(std::move(space)), batch_(batch) {}

  // Queues `chunks` of `path` whose texts have no vector yet; embeds every
  // full batch.
  Status Add(const std::vector<std::pair<std::string, std::vector<Chunk>>>& files) {
    std::vector<std::string> asked;
    std::map<std::string, const Chunk*> texts;
    std::map<std::string, std::vector<std::string>> paths;
    for (const auto& [path, chunks] : files) {
      for (const Chunk& c : chunks) {
        auto queued = where_.find(c.hash);
        if (queued != where_.end()) {
          queued->second.push_back(path);
          continue;
        }
        if (texts.emplace(c.hash, &c).second) asked.push_back(c.hash);
        paths[c.hash].push_back(path);
      }
    }
    if (asked.empty()) return Status::Ok();
    Result<std::vector<std::string>> missing = view_.MissingVectors(space_, asked);
    if (!missing.ok()) return missing.status();
    for (const std::string& hash : *missing) {
      pending_.push_back({hash, texts[hash]->text});
      where_[hash] = paths[hash];
    }
    while (pending_.size() >= batch_) TETHER_RETURN_IF_ERROR(Send(batch_));
    return Status::Ok();
  }

  Status Finish() {
    while (!pending_.empty()) TETHER_RETURN_IF_ERROR(Send(std::min(batch_, pending_.size())));
    return Status::Ok();
  }

  // Files with a text the model refused.
  const std::set<std::string>& refused_files() const { return refused_files_; }

 private:
  struct Text {
    std::string hash;
    std::string text;
  };

  Status Send(size_t count) {
    std::vector<Text> batch(std::make_move_iterator(pending_.begin()),
                            std::make_move_iterator(pending_.begin() + static_cast<long>(count)));
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<long>(count));
    std::vector<std::string> texts;
    for (const Text& t : batch) texts.push_back(t.text);
    Result<std::vector<std::vector<float>>> vectors = embedder_->Embed(texts);
    if (!vectors.ok()) return vectors.status();
    if (vectors->size() != batch.size()) {
      return Status::Internal("the embedder returned " + std::to_string(vectors->size()) + " vectors for " +
                              std::to_string(batch.size()) + " texts");
    }
    std::vector<StoredVector> stored;
    for (size_t i = 0; i < batch.size(); ++i) {
      if ((*vectors)[i].empty()) {  // refused for good
        for (const std::string& path : where_[batch[i].hash]) refused_files_.insert(path);
        continue;
      }
      stored.push_back({batch[i].hash, std::move((*vectors)[i])});
    }
    if (stored.empty()) return Status::Ok();
    return view_.PutVectors(space_, stored);
  }

  const RepositoryView& view_;
  Embedder* embedder_;
  const std::string space_;
  const size_t batch_;
  std::vector<Text> pending_;
  std::map<std::string, std::vector<std::string>> where_;  // hash -> files, for every text queued this run
  std::set<std::string> refused_files_;
};

}  // namespace

Status EmbeddingsStep::Update(const RepositoryView& view, RepositorySink* sink) {
  const std::string space = embedder_->Space();
  std::vector<RepositoryFile> visit;
  std::set<std::string> visited;
  for (const FileChange& change : view.changes()) {
    if (change.kind == FileChangeKind::kDeleted) {
      TETHER_RETURN_IF_ERROR(sink->Remove(ChunksOutput(change.path)));
      continue;
    }
    visit.push_back({change.path, change.new_blob, change.language});
    visited.insert(change.path);
  }
  // Files a text of which the model refused last time.
  Result<RepositoryOutput> pending = view.Output(std::string(kPendingOutput));
  if (pending.ok()) {
    const std::vector<RepositoryFile>& files = view.files();
    rapidjson::Document list;
    list.Parse(pending->content.c_str(), pending->content.size());
    if (list.HasParseError() || !list.IsArray()) {
      return Status::Internal("the stored output \"pending\" is not a JSON array of paths");
    }
    for (const rapidjson::Value& item : list.GetArray()) {
      if (!item.IsString()) continue;
      std::string path(item.GetString(), item.GetStringLength());
      auto at = std::lower_bound(files.begin(), files.end(), path,
                                 [](const RepositoryFile& f, const std::string& p) { return f.path < p; });
      if (at != files.end() && at->path == path && visited.insert(path).second) visit.push_back(*at);
    }
  } else if (pending.status().code() != StatusCode::kNotFound) {
    return pending.status();
  }

  Queue queue(view, embedder_, space, static_cast<size_t>(batch_size_));
  for (size_t first = 0; first < visit.size(); first += kFilesPerRound) {
    std::vector<RepositoryFile> round(visit.begin() + static_cast<long>(first),
                                      visit.begin() + static_cast<long>(std::min(visit.size(), first + kFilesPerRound)));
    Result<std::vector<AnalysisResult>> code = view.Results("code", round);
    if (!code.ok()) return code.status();
    std::vector<std::pair<std::string, std::vector<Chunk>>> chunked;
    for (size_t i = 0; i < round.size(); ++i) {
      const RepositoryFile& file = round[i];
      Result<std::string> text = view.Content(file.path);
      if (!text.ok()) {
        if (text.status().code() != StatusCode::kNotFound) return text.status();
        // Binary, or too big to store: no chunks (a list from before goes).
        if (!view.first_run()) TETHER_RETURN_IF_ERROR(sink->Remove(ChunksOutput(file.path)));
        continue;
      }
      static const std::vector<Symbol> kNone;
      const AnalysisResult& result = (*code)[i];
      const bool has_symbols = result.outcome == AnalysisOutcome::kAnalyzed;
      std::vector<Chunk> chunks = ChunkText(*text, has_symbols ? result.symbols : kNone, max_chunk_chars_);
      std::vector<ChunkLine> lines;
      for (const Chunk& c : chunks) lines.push_back({c.hash, c.start_line, c.end_line});
      TETHER_RETURN_IF_ERROR(sink->Put({ChunksOutput(file.path), file.blob_id, FormatChunkList(lines)}));
      chunked.emplace_back(file.path, std::move(chunks));
    }
    TETHER_RETURN_IF_ERROR(queue.Add(chunked));
  }
  TETHER_RETURN_IF_ERROR(queue.Finish());

  TETHER_RETURN_IF_ERROR(sink->Put({std::string(kSpaceOutput), "", space}));
  if (queue.refused_files().empty()) return sink->Remove(std::string(kPendingOutput));
  rapidjson::StringBuffer list;
  rapidjson::Writer<rapidjson::StringBuffer> writer(list);
  writer.StartArray();
  for (const std::string& path : queue.refused_files()) {
    writer.String(path.c_str(), static_cast<rapidjson::SizeType>(path.size()));
  }
  writer.EndArray();
  return sink->Put({std::string(kPendingOutput), "", list.GetString()});
}

}  // namespace tether::embeddings

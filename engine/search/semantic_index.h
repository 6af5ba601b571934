// A project's vectors in memory for semantic search: every current chunk
// (path, lines) with its text's vector, normalised, in one float matrix, so
// a query is one tight scan instead of reading and decoding every vector
// from the storage again.
//
// SemanticIndex is built from the storage (the embeddings step's chunk
// lists, shared/embedding_outputs.h, and the vectors of their texts) and
// never changes afterwards. SemanticIndexCache keeps the indexes of
// recently searched projects within a memory budget and knows when one is
// stale: it is keyed by the project's cursor and by when the embeddings
// step last stored its outputs, which every completed step run rewrites. A
// stale index is rebuilt from the chunk lists with the vectors it already
// has: only new texts' vectors are read.
//
// Thread safety: a SemanticIndex is immutable, so Nearest may be called
// from any number of threads at once. SemanticIndexCache is thread safe; an
// index it hands out stays valid for as long as the caller holds it, even
// if the cache drops it meanwhile.
#ifndef TETHER_ENGINE_SEARCH_SEMANTIC_INDEX_H_
#define TETHER_ENGINE_SEARCH_SEMANTIC_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "tether/status.h"
#include "tether/storage.h"

namespace tether::search {

// One chunk a query may find.
struct IndexedChunk {
  uint32_t path = 0;     // into SemanticIndex::paths()
  int32_t start_line = 0;  // 1-based, inclusive
  int32_t end_line = 0;
  uint32_t row = 0;      // its text's vector
};

struct NearChunk {
  const IndexedChunk* chunk = nullptr;  // owned by the index
  double score = 0;                     // cosine similarity, -1 to 1
};

class SemanticIndex {
 public:
  // Reads the project's current chunks in `space` and their vectors. A
  // chunk list whose blob is no longer its file's current one (the step has
  // not run since the sync) is left out, and so is a chunk whose text has
  // no vector (the model refused it) or one of another length. NotFound
  // when the step never stored a space; Unavailable when its space is not
  // `space` (the model changed and the step has not yet covered the
  // project); the storage's errors.
  // `previous`, when not null, is an earlier index of the project: the
  // vectors of texts it has are copied from it instead of read (a text's
  // vector in a space never changes), so a rebuild after a sync reads only
  // the new texts' vectors.
  static Result<std::unique_ptr<SemanticIndex>> Build(Storage* storage, const ProjectRef& project,
                                                      const std::string& space,
                                                      const SemanticIndex* previous = nullptr);

  const std::string& space() const { return space_; }
  size_t dimensions() const { return dimensions_; }
  // Chunks in (path, start line) order.
  const std::vector<IndexedChunk>& chunks() const { return chunks_; }
  // The chunks' paths, in byte order.
  const std::vector<std::string>& paths() const { return paths_; }
  // What the index holds in memory, about.
  size_t Bytes() const;

  // The `limit` chunks under `path_prefix` nearest `query` (of
  // dimensions() values, not necessarily normalised), best first; ties by
  // path, then start line. `*compared` is the number of chunks compared.
  std::vector<NearChunk> Nearest(const std::vector<float>& query, const std::string& path_prefix, size_t limit,
                                 int64_t* compared) const;

 private:
  SemanticIndex() = default;

  std::string space_;
  size_t dimensions_ = 0;
  std::vector<std::string> paths_;
  std::vector<IndexedChunk> chunks_;
  // The rows (vectors of norm 1, or 0), dimensions_ floats each, in blocks
  // that never change once made: a rebuild after a sync shares its
  // predecessor's blocks and adds one for the new texts' vectors, instead
  // of copying every row. Row r is in the block whose first row
  // (block_first_) is the last one <= r. Rows no chunk refers to any more
  // stay in a shared block until a rebuild copies the live ones into one
  // (when they are a third of the rows, or the blocks more than four).
  using Block = std::vector<float>;
  std::vector<std::shared_ptr<const Block>> blocks_;
  std::vector<uint32_t> block_first_;
  uint32_t row_count_ = 0;
  std::unordered_map<std::string, uint32_t> row_of_;  // a live text's hash -> its row

  const float* Row(uint32_t row) const;
};

class SemanticIndexCache {
 public:
  // Keeps indexes of at most `budget_bytes` together; one larger than the
  // whole budget is built for its search and not kept.
  explicit SemanticIndexCache(size_t budget_bytes) : budget_bytes_(budget_bytes) {}

  // The project's index in `space`: the kept one if the project's cursor
  // and its embeddings outputs have not changed since it was built, else a
  // new one (Build's errors). Two threads asking for the same stale project
  // at once may both build it; the last one is kept.
  Result<std::shared_ptr<const SemanticIndex>> Get(Storage* storage, const ProjectRef& project,
                                                   const std::string& space);

  // Indexes built so far, and the memory those kept now hold (metrics).
  int64_t builds() const;
  size_t bytes() const;

 private:
  struct Entry {
    std::string tenant;
    int64_t project_id = 0;
    std::string version;
    std::shared_ptr<const SemanticIndex> index;
  };

  const size_t budget_bytes_;
  mutable std::mutex mu_;
  std::list<Entry> entries_;  // most recently used first
  size_t bytes_ = 0;
  int64_t builds_ = 0;
};

}  // namespace tether::search

#endif  // TETHER_ENGINE_SEARCH_SEMANTIC_INDEX_H_

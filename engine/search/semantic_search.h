// Semantic search over a project's current files: the query embedded by the
// embeddings analyzer's model, compared (cosine, exact) with the vector of
// every chunk its repository step keeps for the project
// (shared/embedding_outputs.h), best first. Only chunks of the current
// documents count: a chunk list whose blob is no longer the file's (the
// step has not run since the sync) is left out, so a result never comes
// from another branch or an older commit (semantic_index.h).
//
// Thread safety: a function; the storage and embedder are called as their
// interfaces allow.
#ifndef TETHER_ENGINE_SEARCH_SEMANTIC_SEARCH_H_
#define TETHER_ENGINE_SEARCH_SEMANTIC_SEARCH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/search/semantic_index.h"
#include "tether/analyzer.h"
#include "tether/status.h"
#include "tether/storage.h"

namespace tether::search {

struct SemanticQuery {
  std::string text;         // 1 to 10,000 bytes of UTF-8
  std::string path_prefix;  // "" for every file
  int limit = 10;           // 1 to 1000
};

struct SemanticHit {
  std::string path;
  int32_t start_line = 0;  // 1-based, inclusive
  int32_t end_line = 0;
  double score = 0;        // cosine similarity, -1 to 1
  std::string snippet;     // the chunk's first whole lines, at most 400 bytes
};

struct SemanticPage {
  std::string space;        // the vectors' space
  int64_t chunks = 0;       // chunks compared (those with a vector, under the path)
  std::vector<SemanticHit> hits;
};

// The storage must keep outputs and vectors (ABI 3.5); `embedder` is the
// embeddings analyzer's. With a `cache` the project's vectors are read from
// the storage only when they changed since its last search (a server's);
// without one, every call reads them (a CLI process searches once). Errors: InvalidArgument for a bad query;
// NotFound when the project has no vectors yet (no embeddings step
// completed); Unavailable when its vectors are in another space than the
// embedder's (the model changed: the next analysis builds them); the
// embedder's and the storage's.
Result<SemanticPage> SemanticSearch(Storage* storage, const ProjectRef& project, Embedder* embedder,
                                    const SemanticQuery& query, SemanticIndexCache* cache = nullptr);

}  // namespace tether::search

#endif  // TETHER_ENGINE_SEARCH_SEMANTIC_SEARCH_H_

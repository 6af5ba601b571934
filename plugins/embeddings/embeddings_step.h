// The embeddings analyzer's repository step: keeps a vector for every chunk
// of the project's current files, at the cost of the change.
//
// For each file added or modified since its last run (and each left
// pending), it chunks the file's stored text at the `code` analyzer's
// symbols (chunker.h), asks the storage which chunks' texts have no vector
// in the embedder's space yet, and embeds only those, in full batches,
// storing each batch's vectors before it sends the next: a run that dies
// re-sends at most the batch in flight. Its outputs say which chunks each
// file holds (shared/embedding_outputs.h), all stored at once when the run
// completes: a new model's vectors are made beside the old ones, and the
// chunk lists (and so the search) move to the new space in one step.
//
// A text the model refuses for good is left without a vector and its file
// pending: tried again on the next run. Any other error of the embedder
// (the service down past its tries) fails the run, keeping the vectors
// stored so far; the next run starts from the same change.
//
// Thread safety: as RepositoryStep (no state between calls).
#ifndef TETHER_PLUGINS_EMBEDDINGS_EMBEDDINGS_STEP_H_
#define TETHER_PLUGINS_EMBEDDINGS_EMBEDDINGS_STEP_H_

#include <string>
#include <vector>

#include "tether/analyzer.h"
#include "tether/repository_step.h"

namespace tether::embeddings {

class EmbeddingsStep : public RepositoryStep {
 public:
  // `embedder` is borrowed and outlives the step.
  EmbeddingsStep(Embedder* embedder, int batch_size, int max_chunk_chars)
      : embedder_(embedder), batch_size_(batch_size), max_chunk_chars_(max_chunk_chars) {}

  std::vector<std::string> Needs() const override { return {"code"}; }
  Status Update(const RepositoryView& view, RepositorySink* sink) override;

 private:
  Embedder* embedder_;
  int batch_size_;
  int max_chunk_chars_;
};

}  // namespace tether::embeddings

#endif  // TETHER_PLUGINS_EMBEDDINGS_EMBEDDINGS_STEP_H_

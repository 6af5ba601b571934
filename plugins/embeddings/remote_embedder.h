// An embedder behind an HTTP service: an OpenAI-compatible one (POST
// /v1/embeddings, {"model", "input": [...]}, the vectors in data[] by
// index), Ollama (POST /api/embed with "truncate": false: Ollama otherwise
// cuts long texts silently) or Hugging Face text-embeddings-inference
// (POST /embed, {"inputs": [...]}).
//
// Embed sends the texts in requests of at most batch_size. A 429, a 5xx or
// a transport error is tried again, up to max_tries per request, after the
// answer's Retry-After (at most 60 s) or a backoff that doubles from
// 500 ms; then Unavailable. A 413 (batch too large) or a 400 for a batch of
// several texts splits it in halves, so that one text the model refuses
// fails alone, and gets an empty vector. 401 is
// Unauthenticated and 403 PermissionDenied, naming the variable the key
// came from. The key is sent
// as a bearer token and is in no message.
//
// Thread safety: Embed may be called from several threads at once (each
// call uses a client of its own).
#ifndef TETHER_PLUGINS_EMBEDDINGS_REMOTE_EMBEDDER_H_
#define TETHER_PLUGINS_EMBEDDINGS_REMOTE_EMBEDDER_H_

#include <string>
#include <vector>

#include "settings.h"
#include "tether/analyzer.h"

namespace tether::embeddings {

class RemoteEmbedder : public Embedder {
 public:
  explicit RemoteEmbedder(Settings settings);

  std::string Space() const override { return SpaceOf(settings_); }
  Result<std::vector<std::vector<float>>> Embed(const std::vector<std::string>& texts) override;

 private:
  struct Batch;
  Status EmbedBatch(Batch* batch, size_t first, size_t count, std::vector<std::vector<float>>* out);
  Status ReadAnswer(const std::string& body, size_t first, size_t count, std::vector<std::vector<float>>* out) const;

  Settings settings_;
  std::string endpoint_;
};

}  // namespace tether::embeddings

#endif  // TETHER_PLUGINS_EMBEDDINGS_REMOTE_EMBEDDER_H_

// The embeddings analyzer: a vector for every chunk of the project's code,
// kept current at the cost of the change, for semantic search. It analyses
// no blob itself: its repository step (embeddings_step.h) chunks the files
// a sync changed at the `code` analyzer's symbols and embeds only texts
// that have no vector yet, with the model its settings name (settings.h):
// an OpenAI-compatible service, Ollama, text-embeddings-inference, or the
// built-in lexical embedder ("hashing", no service). The engine embeds a
// search's query with the same model (Analyzer::Embeddings).
#include <memory>
#include <string>

#include "embeddings_step.h"
#include "hashing_embedder.h"
#include "remote_embedder.h"
#include "settings.h"
#include "tether/analyzer.h"
#include "tether/plugin.h"

namespace tether::embeddings {
namespace {

// Bump on any change to how files are chunked: every project's chunks are
// made again (their vectors are reused wherever the text is the same).
constexpr char kEmbeddingsVersion[] = "1.0.0";

class EmbeddingsAnalyzer : public Analyzer {
 public:
  EmbeddingsAnalyzer(const Settings& settings, std::unique_ptr<Embedder> embedder)
      : hash_(SettingsHash(settings)),
        embedder_(std::move(embedder)),
        step_(embedder_.get(), settings.batch_size, settings.max_chunk_chars) {}

  AnalyzerKey Key() const override { return AnalyzerKey{"embeddings", kEmbeddingsVersion, hash_}; }

  Status Analyze(const AnalysisInput&, AnalysisSink*) override {
    return Status::Internal("the embeddings analyzer analyses no blob (AnalysesBlobs is false)");
  }

  bool AnalysesBlobs() const override { return false; }
  RepositoryStep* Repository() override { return &step_; }
  Embedder* Embeddings() override { return embedder_.get(); }

 private:
  std::string hash_;
  std::unique_ptr<Embedder> embedder_;
  EmbeddingsStep step_;
};

Result<std::unique_ptr<Plugin>> CreateEmbeddingsAnalyzer(const PluginContext& context) {
  Result<Settings> settings = ParseSettings(context.name, context.settings_json);
  if (!settings.ok()) return settings.status();
  std::unique_ptr<Embedder> embedder;
  if (settings->provider == ProviderKind::kHashing) {
    embedder = std::make_unique<HashingEmbedder>(SpaceOf(*settings), settings->dimensions);
  } else {
    embedder = std::make_unique<RemoteEmbedder>(*settings);
  }
  return std::unique_ptr<Plugin>(std::make_unique<EmbeddingsAnalyzer>(*settings, std::move(embedder)));
}

}  // namespace
}  // namespace tether::embeddings

TETHER_PLUGIN(TETHER_PLUGIN_ANALYZER, "embeddings", "1.0.0",
              "Vectors of the code's chunks (split at the code analyzer's symbols) for semantic search, made by an "
              "OpenAI-compatible service, Ollama, text-embeddings-inference or the built-in lexical embedder, each "
              "text once",
              tether::embeddings::CreateEmbeddingsAnalyzer)

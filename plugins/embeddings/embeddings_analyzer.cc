// The embeddings analyzer: a vector for every chunk of the project's code,
// kept current at the cost of the change, for semantic search. It analyses
// no blob itself: its repository step (embeddings_step.h) chunks the files
// a sync changed at the `code` analyzer's symbols and embeds only texts
// that have no vector yet, with the model its settings name (settings.h):
// an OpenAI-compatible service, Ollama, text-embeddings-inference, or the
// built-in lexical embedder ("hashing", no service). The engine embeds a
// search's query with the same model (Analyzer::Embeddings), or with the
// model a project's vectors are still in after a change of model
// (Analyzer::EmbeddingsIn).
#include <map>
#include <memory>
#include <mutex>
#include <optional>
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

std::unique_ptr<Embedder> MakeEmbedder(const Settings& settings) {
  if (settings.provider == ProviderKind::kHashing) {
    return std::make_unique<HashingEmbedder>(SpaceOf(settings), settings.dimensions);
  }
  return std::make_unique<RemoteEmbedder>(settings);
}

// Embedders for other spaces than the settings' are made on demand and kept
// for the analyzer's life: at most this many.
constexpr size_t kMaxOtherSpaces = 8;

class EmbeddingsAnalyzer : public Analyzer {
 public:
  EmbeddingsAnalyzer(const Settings& settings, std::unique_ptr<Embedder> embedder)
      : settings_(settings),
        hash_(SettingsHash(settings)),
        embedder_(std::move(embedder)),
        step_(embedder_.get(), settings.batch_size, settings.max_chunk_chars) {}

  AnalyzerKey Key() const override { return AnalyzerKey{"embeddings", kEmbeddingsVersion, hash_}; }

  Status Analyze(const AnalysisInput&, AnalysisSink*) override {
    return Status::Internal("the embeddings analyzer analyses no blob (AnalysesBlobs is false)");
  }

  bool AnalysesBlobs() const override { return false; }
  RepositoryStep* Repository() override { return &step_; }
  Embedder* Embeddings() override { return embedder_.get(); }

  // The same service with the model and dimensions of `space`: the query
  // of a search over a project whose vectors the step has not yet made
  // again after a model change.
  Embedder* EmbeddingsIn(const std::string& space) override {
    if (space == embedder_->Space()) return embedder_.get();
    std::lock_guard<std::mutex> lock(mu_);
    auto found = others_.find(space);
    if (found != others_.end()) return found->second.get();
    if (others_.size() >= kMaxOtherSpaces) return nullptr;
    std::optional<Settings> settings = SettingsForSpace(settings_, space);
    if (!settings) return nullptr;
    return others_.emplace(space, MakeEmbedder(*settings)).first->second.get();
  }

 private:
  const Settings settings_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Embedder>> others_;  // guarded by mu_
  std::string hash_;
  std::unique_ptr<Embedder> embedder_;
  EmbeddingsStep step_;
};

Result<std::unique_ptr<Plugin>> CreateEmbeddingsAnalyzer(const PluginContext& context) {
  Result<Settings> settings = ParseSettings(context.name, context.settings_json);
  if (!settings.ok()) return settings.status();
  std::unique_ptr<Embedder> embedder = MakeEmbedder(*settings);
  return std::unique_ptr<Plugin>(std::make_unique<EmbeddingsAnalyzer>(*settings, std::move(embedder)));
}

}  // namespace
}  // namespace tether::embeddings

TETHER_PLUGIN(TETHER_PLUGIN_ANALYZER, "embeddings", "1.0.0",
              "Vectors of the code's chunks (split at the code analyzer's symbols) for semantic search, made by an "
              "OpenAI-compatible service, Ollama, text-embeddings-inference or the built-in lexical embedder, each "
              "text once",
              tether::embeddings::CreateEmbeddingsAnalyzer)

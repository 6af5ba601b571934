// PluginHost: loads the plugins a config names, validates each descriptor
// before calling anything else in the library, and keeps a registry of every
// plugin's state. A broken plugin is recorded with its file and its reason;
// the others keep working.
//
// Ownership: the host owns every plugin object and destroys them in its
// destructor. Libraries are never unloaded: the handles move to a
// process-lifetime registry, so code and static data of a plugin stay valid
// even after the host is gone.
//
// Thread safety: Load() must not run concurrently with anything else. After
// loading, the const accessors and the plugin lookups may be used from any
// thread; the returned plugin objects follow their own interface's contract.
#ifndef TETHER_ENGINE_PLUGIN_HOST_PLUGIN_HOST_H_
#define TETHER_ENGINE_PLUGIN_HOST_PLUGIN_HOST_H_

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/config/config.h"
#include "tether/analyzer.h"
#include "tether/plugin.h"
#include "tether/provider.h"
#include "tether/status.h"
#include "tether/storage.h"

namespace tether::plugin_host {

enum class PluginState { kLoaded, kBroken };

const char* PluginStateName(PluginState state);
const char* PluginKindName(uint32_t kind);

// What the host knows of one configured plugin, loaded or not.
struct PluginRecord {
  std::string name;         // configured name (the descriptor's once loaded)
  std::string kind;         // "provider", "storage", "analyzer"; "" when unknown
  std::string version;
  std::string description;
  std::string abi;          // "major.minor" the plugin was built with; "" when unknown
  std::string toolchain;
  std::filesystem::path file;
  PluginState state = PluginState::kBroken;
  std::string error;        // why it is broken; empty when loaded
};

class PluginHost {
 public:
  // `bundled_dir` is where plugins named without a path are found
  // (lib<name>.so). `database_url` is handed to storage plugins (only) in their context.
  PluginHost(std::filesystem::path bundled_dir, std::string database_url);
  ~PluginHost();

  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;

  // Loads every plugin in order. Never fails as a whole: each plugin ends up
  // kLoaded or kBroken in plugins(). A config without a name (never one
  // from a config file: `tether plugins test FILE`) takes the name the
  // plugin's descriptor gives; it must then have a path.
  void Load(const std::vector<config::PluginConfig>& plugins);

  const std::vector<PluginRecord>& plugins() const { return records_; }
  bool AnyBroken() const;

  // The loaded provider or storage called `name`. NotFound when no such
  // plugin is configured, Unavailable (with its reason) when it is broken,
  // InvalidArgument when it is of another kind.
  Result<Provider*> FindProvider(const std::string& name) const;
  Result<Storage*> FindStorage(const std::string& name) const;

  // The loaded analyzer called `name`; errors as FindProvider, and
  // InvalidArgument for an analyzer built before ABI 3.2 (analyzers came then).
  Result<Analyzer*> FindAnalyzer(const std::string& name) const;

  // The names of every loaded analyzer, in config order.
  std::vector<std::string> AnalyzerNames() const;

  // Whether the loaded storage `name` keeps analysis results (built for ABI
  // 3.2 or later: older ones lack those methods). False for anything else.
  bool StorageKeepsAnalysis(const std::string& name) const;

  // Whether the loaded storage `name` keeps repository outputs and reads
  // results in batches, and whether the loaded analyzer `name` may be
  // asked for AnalysesBlobs and Repository (both built for ABI 3.3 or
  // later). False for anything else.
  bool StorageKeepsOutputs(const std::string& name) const;
  bool AnalyzerKnowsSteps(const std::string& name) const;
  // Storage::Fence and BeginFencedWrite (ABI 3.4).
  bool StorageFences(const std::string& name) const;
  // Storage::SearchText (ABI 3.5).
  bool StorageSearchesText(const std::string& name) const;
  // Storage::MissingVectors, PutVectors and GetVectors, and
  // Analyzer::Embeddings (ABI 3.5).
  bool StorageKeepsVectors(const std::string& name) const;
  bool AnalyzerKnowsEmbeddings(const std::string& name) const;
  // Analyzer::EmbeddingsIn (ABI 3.6).
  bool AnalyzerEmbedsInOtherSpaces(const std::string& name) const;
  // Repository::BranchIsAt of the provider `name` (ABI 3.7).
  bool ProviderTellsBranchIsAt(const std::string& name) const;
  // Storage::IndexText of the storage `name` (ABI 3.8).
  bool StorageIndexesTextLater(const std::string& name) const;

  // Provider::CanonicalRepoUrl of the provider `name` (see provider.h), or
  // `repo_url` unchanged when the plugin was built before ABI 1.1 and so
  // does not have that method. Errors: as FindProvider, and the provider's.
  Result<std::string> CanonicalRepoUrl(const std::string& name, const std::string& repo_url,
                                       const std::string& working_directory) const;

  // Provider::MatchesRepository of the provider `name` (see provider.h).
  // Errors: as FindProvider; InvalidArgument, without asking it, when the
  // plugin was built before ABI 3.1 and so does not have that method.
  Result<bool> MatchesRepository(const std::string& name, const std::string& repo_url,
                                 const RepositoryMention& mention) const;

  // The host's own ABI, "major.minor".
  static std::string HostAbi();

 private:
  struct Loaded;
  Status LoadOne(const config::PluginConfig& config, PluginRecord* record);
  Result<Plugin*> Find(const std::string& name, uint32_t kind) const;
  // Whether `name` is a loaded plugin of `kind` built for ABI 3.`minor` or later.
  bool BuiltFor(const std::string& name, uint32_t kind, uint32_t minor) const;

  std::filesystem::path bundled_dir_;
  std::string database_url_;
  std::vector<PluginRecord> records_;
  std::vector<std::unique_ptr<Loaded>> loaded_;  // one per kLoaded record
};

// Where the bundled plugins of this executable are: <exe dir>/../lib/tether/plugins.
std::filesystem::path BundledPluginDir();

}  // namespace tether::plugin_host

#endif  // TETHER_ENGINE_PLUGIN_HOST_PLUGIN_HOST_H_

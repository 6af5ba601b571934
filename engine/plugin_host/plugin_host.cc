#include "engine/plugin_host/plugin_host.h"

#include <cstring>
#include <exception>
#include <mutex>
#include <system_error>
#include <utility>

#include <boost/dll/shared_library.hpp>

#include "engine/common/paths.h"

namespace tether::plugin_host {
namespace {

namespace dll = boost::dll;

// Libraries are never unloaded (ARCHITECTURE.md, "The plugin boundary"): objects, vtables and static data
// of a plugin must outlive every pointer the engine may still hold. The
// handles live here until the process exits; the vector is leaked on purpose.
void KeepLoadedForever(dll::shared_library library) {
  static std::mutex mutex;
  static auto* forever = new std::vector<dll::shared_library>();
  std::lock_guard<std::mutex> lock(mutex);
  forever->push_back(std::move(library));
}

std::string AbiString(uint32_t major, uint32_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

uint32_t KindFromName(const std::string& name) {
  if (name == "provider") return TETHER_PLUGIN_PROVIDER;
  if (name == "storage") return TETHER_PLUGIN_STORAGE;
  if (name == "analyzer") return TETHER_PLUGIN_ANALYZER;
  return 0;
}

std::string SafeString(const char* text) { return text == nullptr ? std::string() : std::string(text); }

// Boost.DLL wraps the loader's message as "... (dlerror system message: X):
// <errno text>"; the loader's own words are the useful part.
std::string LoaderMessage(const std::exception& e) {
  std::string what = e.what();
  const std::string marker = "(dlerror system message: ";
  size_t start = what.find(marker);
  if (start == std::string::npos) return what;
  start += marker.size();
  size_t end = what.rfind("): ");
  if (end == std::string::npos || end < start) return what.substr(start);
  return what.substr(start, end - start);
}

}  // namespace

const char* PluginStateName(PluginState state) {
  return state == PluginState::kLoaded ? "loaded" : "broken";
}

const char* PluginKindName(uint32_t kind) {
  switch (kind) {
    case TETHER_PLUGIN_PROVIDER: return "provider";
    case TETHER_PLUGIN_STORAGE: return "storage";
    case TETHER_PLUGIN_ANALYZER: return "analyzer";
    default: return "";
  }
}

struct PluginHost::Loaded {
  std::string name;
  uint32_t kind = 0;
  uint32_t abi_minor = 0;  // what the plugin was built with: which optional methods it has
  std::unique_ptr<Plugin> object;
};

PluginHost::PluginHost(std::filesystem::path bundled_dir, std::string database_url)
    : bundled_dir_(std::move(bundled_dir)), database_url_(std::move(database_url)) {}

PluginHost::~PluginHost() = default;  // objects go first; libraries stay loaded

std::string PluginHost::HostAbi() { return AbiString(TETHER_SDK_ABI_MAJOR, TETHER_SDK_ABI_MINOR); }

void PluginHost::Load(const std::vector<config::PluginConfig>& plugins) {
  for (const config::PluginConfig& config : plugins) {
    PluginRecord record;
    record.name = config.name;
    record.kind = config.kind;
    Status status = LoadOne(config, &record);
    record.state = status.ok() ? PluginState::kLoaded : PluginState::kBroken;
    record.error = status.ok() ? std::string() : status.message();
    records_.push_back(std::move(record));
  }
}

Status PluginHost::LoadOne(const config::PluginConfig& config, PluginRecord* record) {
  record->file = config.path.empty() ? bundled_dir_ / ("lib" + config.name + ".so")
                                     : std::filesystem::path(config.path);
  std::error_code ec;
  if (!std::filesystem::exists(record->file, ec)) {
    return Status::NotFound("file not found");
  }

  // RTLD_NOW: a missing symbol fails here, with the loader's message, rather
  // than in the middle of a sync.
  dll::shared_library library;
  try {
    library.load(record->file, dll::load_mode::rtld_now | dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    return Status::InvalidArgument("cannot load the library: " + LoaderMessage(e));
  }

  // The descriptor first, and nothing else until it checks out.
  if (!library.has("tether_plugin_descriptor")) {
    KeepLoadedForever(std::move(library));
    return Status::InvalidArgument("not a Tether plugin (no tether_plugin_descriptor symbol)");
  }
  const TetherPluginDescriptor* descriptor = library.get<TetherDescriptorFn>("tether_plugin_descriptor")();
  if (descriptor == nullptr || descriptor->struct_size < sizeof(uint32_t) * 3) {
    KeepLoadedForever(std::move(library));
    return Status::InvalidArgument("not a Tether plugin (invalid descriptor)");
  }
  record->abi = AbiString(descriptor->abi_major, descriptor->abi_minor);
  if (descriptor->abi_major != TETHER_SDK_ABI_MAJOR || descriptor->abi_minor > TETHER_SDK_ABI_MINOR) {
    KeepLoadedForever(std::move(library));
    return Status::InvalidArgument("built for SDK ABI " + record->abi + ", host has ABI " + HostAbi() +
                                   " (major must match, minor must not exceed the host's)");
  }
  // Same major: every field of the 1.0 layout is there when the size says so.
  if (descriptor->struct_size < sizeof(TetherPluginDescriptor)) {
    KeepLoadedForever(std::move(library));
    return Status::InvalidArgument("descriptor too small for ABI " + record->abi);
  }
  record->toolchain = SafeString(descriptor->toolchain);
  record->version = SafeString(descriptor->version);
  record->description = SafeString(descriptor->description);
  record->kind = PluginKindName(descriptor->kind);
  std::string descriptor_name = SafeString(descriptor->name);
  if (record->toolchain != TETHER_TOOLCHAIN_TAG) {
    KeepLoadedForever(std::move(library));
    return Status::InvalidArgument("built with toolchain \"" + record->toolchain +
                                   "\", host uses \"" TETHER_TOOLCHAIN_TAG "\"");
  }
  if (record->kind.empty()) {
    KeepLoadedForever(std::move(library));
    return Status::InvalidArgument("unknown plugin kind " + std::to_string(descriptor->kind));
  }
  if (descriptor_name.empty()) {
    KeepLoadedForever(std::move(library));
    return Status::InvalidArgument("descriptor has no name");
  }
  if (!config.name.empty() && descriptor_name != config.name) {
    KeepLoadedForever(std::move(library));
    return Status::InvalidArgument("file declares the plugin \"" + descriptor_name + "\", not \"" +
                                   config.name + "\"");
  }
  record->name = descriptor_name;
  if (!config.kind.empty() && KindFromName(config.kind) != descriptor->kind) {
    KeepLoadedForever(std::move(library));
    return Status::InvalidArgument("wrong kind: configured as " + config.kind + ", plugin is a " +
                                   record->kind);
  }
  for (const auto& loaded : loaded_) {
    if (loaded->name == descriptor_name) {
      KeepLoadedForever(std::move(library));
      return Status::InvalidArgument("duplicate name: a plugin called \"" + descriptor_name +
                                     "\" is already loaded");
    }
  }

  TetherCreateFn* create = nullptr;
  try {
    create = library.get<TetherCreateFn>("tether_plugin_create");
  } catch (const std::exception& e) {
    KeepLoadedForever(std::move(library));
    return Status::InvalidArgument("missing symbol tether_plugin_create: " + LoaderMessage(e));
  }

  PluginContext context;
  context.name = descriptor_name;
  context.settings_json = config.settings_json.empty() ? "{}" : config.settings_json;
  // The database credentials go to storage plugins only: a provider or an
  // analyzer has no business with them.
  if (descriptor->kind == TETHER_PLUGIN_STORAGE) context.database_url = database_url_;
  Status create_error;
  Plugin* object = create(&context, &create_error);
  KeepLoadedForever(std::move(library));
  if (object == nullptr) {
    if (create_error.ok()) create_error = Status::Internal("factory returned nothing");
    return Status(create_error.code(), "init failed: " + create_error.message());
  }
  auto loaded = std::make_unique<Loaded>();
  loaded->name = descriptor_name;
  loaded->kind = descriptor->kind;
  loaded->abi_minor = descriptor->abi_minor;
  loaded->object.reset(object);
  bool kind_matches = (descriptor->kind == TETHER_PLUGIN_PROVIDER && object->AsProvider() != nullptr) ||
                      (descriptor->kind == TETHER_PLUGIN_STORAGE && object->AsStorage() != nullptr) ||
                      descriptor->kind == TETHER_PLUGIN_ANALYZER;
  if (!kind_matches) {
    return Status::InvalidArgument("wrong kind: descriptor says " + record->kind +
                                   " but the object does not implement it");
  }
  loaded_.push_back(std::move(loaded));
  return Status::Ok();
}

bool PluginHost::AnyBroken() const {
  for (const PluginRecord& record : records_) {
    if (record.state == PluginState::kBroken) return true;
  }
  return false;
}

Result<Plugin*> PluginHost::Find(const std::string& name, uint32_t kind) const {
  for (const auto& loaded : loaded_) {
    if (loaded->name != name) continue;
    if (loaded->kind != kind) {
      return Status::InvalidArgument("plugin \"" + name + "\" is a " + PluginKindName(loaded->kind) +
                                     ", not a " + PluginKindName(kind));
    }
    return loaded->object.get();
  }
  for (const PluginRecord& record : records_) {
    if (record.name == name && record.state == PluginState::kBroken) {
      return Status::Unavailable("plugin \"" + name + "\" is broken (" + record.file.string() +
                                 "): " + record.error);
    }
  }
  return Status::NotFound("no " + std::string(PluginKindName(kind)) + " plugin \"" + name +
                          "\" in the config's plugin list");
}

Result<Provider*> PluginHost::FindProvider(const std::string& name) const {
  Result<Plugin*> plugin = Find(name, TETHER_PLUGIN_PROVIDER);
  if (!plugin.ok()) return plugin.status();
  return (*plugin)->AsProvider();
}

Result<std::string> PluginHost::CanonicalRepoUrl(const std::string& name, const std::string& repo_url,
                                                  const std::string& working_directory) const {
  Result<Provider*> provider = FindProvider(name);
  if (!provider.ok()) return provider.status();
  for (const auto& loaded : loaded_) {
    // Built for 1.0: the vtable has no such slot; calling it would crash.
    // Only plugins of the host's major load, and every 2.x plugin has it.
    if (loaded->name == name && TETHER_SDK_ABI_MAJOR == 1 && loaded->abi_minor < 1) return repo_url;
  }
  return (*provider)->CanonicalRepoUrl(repo_url, working_directory);
}

Result<bool> PluginHost::MatchesRepository(const std::string& name, const std::string& repo_url,
                                           const RepositoryMention& mention) const {
  Result<Provider*> provider = FindProvider(name);
  if (!provider.ok()) return provider.status();
  for (const auto& loaded : loaded_) {
    // Built for 3.0: the vtable has no such slot; calling it would call
    // whatever the plugin put there, or crash.
    if (loaded->name == name && TETHER_SDK_ABI_MAJOR == 3 && loaded->abi_minor < 1) {
      return Status::InvalidArgument("plugin \"" + name + "\" is built for SDK ABI 3." +
                                     std::to_string(loaded->abi_minor) +
                                     ", which cannot tell which repository a webhook names (that came in 3.1): "
                                     "rebuild it against the SDK 3.1 headers");
    }
  }
  return (*provider)->MatchesRepository(repo_url, mention);
}

Result<Storage*> PluginHost::FindStorage(const std::string& name) const {
  Result<Plugin*> plugin = Find(name, TETHER_PLUGIN_STORAGE);
  if (!plugin.ok()) return plugin.status();
  return (*plugin)->AsStorage();
}

Result<Analyzer*> PluginHost::FindAnalyzer(const std::string& name) const {
  Result<Plugin*> plugin = Find(name, TETHER_PLUGIN_ANALYZER);
  if (!plugin.ok()) return plugin.status();
  for (const auto& loaded : loaded_) {
    if (loaded->name == name && TETHER_SDK_ABI_MAJOR == 3 && loaded->abi_minor < 2) {
      return Status::InvalidArgument("analyzer plugin \"" + name + "\" is built for SDK ABI 3." +
                                     std::to_string(loaded->abi_minor) +
                                     ", before analyzers had an interface (3.2): rebuild it against the SDK 3.2 headers");
    }
  }
  // The descriptor's kind is the plugin's word that the object is an Analyzer
  // (analyzer.h); Plugin has no accessor for it, so that 3.0 and 3.1
  // providers and storages keep their vtables.
  return static_cast<Analyzer*>(*plugin);
}

std::vector<std::string> PluginHost::AnalyzerNames() const {
  std::vector<std::string> names;
  for (const auto& loaded : loaded_) {
    if (loaded->kind == TETHER_PLUGIN_ANALYZER) names.push_back(loaded->name);
  }
  return names;
}

bool PluginHost::StorageKeepsAnalysis(const std::string& name) const {
  return BuiltFor(name, TETHER_PLUGIN_STORAGE, 2);
}

bool PluginHost::StorageKeepsOutputs(const std::string& name) const {
  return BuiltFor(name, TETHER_PLUGIN_STORAGE, 3);
}

bool PluginHost::StorageFences(const std::string& name) const {
  return BuiltFor(name, TETHER_PLUGIN_STORAGE, 4);
}

bool PluginHost::StorageSearchesText(const std::string& name) const {
  return BuiltFor(name, TETHER_PLUGIN_STORAGE, 5);
}

bool PluginHost::StorageKeepsVectors(const std::string& name) const {
  return BuiltFor(name, TETHER_PLUGIN_STORAGE, 5);
}

bool PluginHost::AnalyzerKnowsEmbeddings(const std::string& name) const {
  return BuiltFor(name, TETHER_PLUGIN_ANALYZER, 5);
}

bool PluginHost::AnalyzerEmbedsInOtherSpaces(const std::string& name) const {
  return BuiltFor(name, TETHER_PLUGIN_ANALYZER, 6);
}

bool PluginHost::StorageIndexesTextLater(const std::string& name) const {
  return BuiltFor(name, TETHER_PLUGIN_STORAGE, 8);
}

bool PluginHost::ProviderTellsBranchIsAt(const std::string& name) const {
  return BuiltFor(name, TETHER_PLUGIN_PROVIDER, 7);
}

bool PluginHost::AnalyzerKnowsSteps(const std::string& name) const {
  return BuiltFor(name, TETHER_PLUGIN_ANALYZER, 3);
}

bool PluginHost::BuiltFor(const std::string& name, uint32_t kind, uint32_t minor) const {
  for (const auto& loaded : loaded_) {
    if (loaded->name == name) return loaded->kind == kind && loaded->abi_minor >= minor;
  }
  return false;
}

std::filesystem::path BundledPluginDir() {
  return (ExecutableDir() / ".." / "lib" / "tether" / "plugins").lexically_normal();
}

}  // namespace tether::plugin_host

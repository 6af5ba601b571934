// The plugin boundary: the descriptor every plugin exports, the base class of
// every plugin object, and the macro that exports both.
//
// A plugin is a shared library exporting two C symbols:
//   tether_plugin_descriptor  returns a pointer to a TetherPluginDescriptor
//                             with static storage duration;
//   tether_plugin_create      builds the plugin object from its settings.
// TETHER_PLUGIN(...) writes both. The host reads and validates the descriptor
// before it calls anything else, loads every library once and never unloads
// it, so objects and static data stay valid for the life of the process.
//
// No C++ exception crosses this boundary: the generated tether_plugin_create
// catches everything its factory throws and returns it as a Status, and every
// interface method reports errors as Status values.
#ifndef TETHER_PLUGIN_H_
#define TETHER_PLUGIN_H_

#include <cstdint>
#include <exception>
#include <memory>
#include <string>

#include "tether/status.h"

// The SDK's ABI version. A plugin loads when its major equals the host's and
// its minor is not greater than the host's (a host knows every older minor).
// 1.1: Provider::CanonicalRepoUrl (a virtual appended to Provider; the host
//      calls it only on plugins of minor >= 1).
// 2.0: Storage methods name their project with a ProjectRef (id and tenant).
// 3.0: the engine reads documents only through Storage (ListDocuments,
//      GetDocument, DeleteProject); StorageCounts reports derived data by
//      name; the cursor is the storage's alone.
// 3.1: Provider::MatchesRepository and RepositoryMention (provider.h): the
//      provider says which of its projects a webhook's repository is. The
//      host calls it only on plugins of minor >= 1; the projects of a 3.0
//      provider are never synced by a webhook.
// 3.2: analyzers (analyzer.h: Analyzer, reached by the descriptor's kind)
//      and analysis results kept by the storage (the Storage methods after
//      DeleteProject). The host calls those only on storages of minor >= 2;
//      a project on an older storage is not analysed.
// 3.3: repository steps (repository_step.h; Analyzer::AnalysesBlobs and
//      Analyzer::Repository appended), and the Storage methods after
//      CollectAnalysis that keep their outputs and read results in batches.
//      The host calls those only on analyzers and storages of minor >= 3.
// 3.4: fencing: Storage::Fence and Storage::BeginFencedWrite appended. On
//      older storages the host begins unfenced writes (the cursor check
//      still refuses a second write of one commit).
// 3.5: search and vectors: Storage::SearchText (TextQuery, TextHit,
//      TextPage); Embedder and Analyzer::Embeddings (analyzer.h), the
//      RepositoryView's MissingVectors and PutVectors (repository_step.h),
//      and the Storage methods after SearchText that keep vectors. The host
//      calls those only on analyzers and storages of minor >= 5: a text
//      search of a project on an older storage is refused, naming the
//      storage, and a step whose storage is older gets InvalidArgument from
//      the view.
// 3.6: Analyzer::EmbeddingsIn: an embedder for an earlier space, so that a
//      semantic search keeps using a project's vectors of the old model
//      until the new model's cover it. The host calls it only on analyzers
//      of minor >= 6; with an older one, such a search is refused until
//      then, naming both spaces.
// 3.7: Repository::BranchIsAt: a provider that can tell cheaply that a
//      branch still points at the last synced commit saves resolving it
//      (local-git reads one ref file, without starting libgit2). The host
//      asks it only of providers of minor >= 7; an older one's branch is
//      resolved on every run, as before.
// 3.8: Storage::IndexText: a storage may index its documents' text after
//      the write that stored them, in batches the analyze phase asks for,
//      instead of in the write's transaction. The host asks only storages
//      of minor >= 8; an older one keeps its index as it writes.
//
// The rules that keep the promise above (a plugin of an older minor loads in
// a newer host):
//   - A minor release only appends: new virtuals at the end of a class's
//     last declared virtual, new fields at the end of a C struct announced
//     by its struct_size. Nothing is removed, reordered or retyped, and no
//     member is added to a class or struct passed by value.
//   - The host calls a virtual added in minor N only on plugins whose
//     descriptor says abi_minor >= N (older ones lack the vtable slot);
//     otherwise it behaves as that older minor did.
//   - Anything else (a changed signature, a new pure virtual in the middle,
//     a field added to a struct such as StorageCounts) is a new major.
#define TETHER_SDK_ABI_MAJOR 3
#define TETHER_SDK_ABI_MINOR 8

// Objects cross the boundary as C++ types, so host and plugin must agree on
// the standard library and its ABI. This tag says which one a binary used.
#if defined(_LIBCPP_VERSION)
#define TETHER_TOOLCHAIN_TAG "libc++"
#elif defined(__GLIBCXX__) && defined(_GLIBCXX_USE_CXX11_ABI) && _GLIBCXX_USE_CXX11_ABI
#define TETHER_TOOLCHAIN_TAG "libstdc++/cxx11"
#elif defined(__GLIBCXX__)
#define TETHER_TOOLCHAIN_TAG "libstdc++/old"
#else
#define TETHER_TOOLCHAIN_TAG "unknown"
#endif

#if defined(_WIN32)
#define TETHER_EXPORT __declspec(dllexport)
#else
#define TETHER_EXPORT __attribute__((visibility("default")))
#endif

extern "C" {

// What a plugin provides. Values are part of the ABI: never renumber.
enum TetherPluginKind : uint32_t {
  TETHER_PLUGIN_PROVIDER = 1,
  TETHER_PLUGIN_STORAGE = 2,
  TETHER_PLUGIN_ANALYZER = 3,
};

// C layout, so that a host of any ABI can read it safely. New fields are only
// ever appended (and announced by a larger struct_size and a new minor).
struct TetherPluginDescriptor {
  uint32_t struct_size;  // sizeof(TetherPluginDescriptor) in the plugin
  uint32_t abi_major;    // TETHER_SDK_ABI_MAJOR the plugin was built with
  uint32_t abi_minor;    // TETHER_SDK_ABI_MINOR the plugin was built with
  const char* toolchain; // TETHER_TOOLCHAIN_TAG the plugin was built with
  uint32_t kind;         // a TetherPluginKind
  const char* name;      // unique among loaded plugins, e.g. "local-git"
  const char* version;   // the plugin's own version, e.g. "1.2.0"
  const char* description;
};

}  // extern "C"

namespace tether {

class Provider;
class Storage;

// What the host hands a plugin when it creates it. The strings are owned by
// the host and valid only during the factory call: copy what you keep.
struct PluginContext {
  std::string name;           // the plugin's name from its descriptor
  std::string settings_json;  // the plugin's "settings" object from the config ("{}" if none)
  std::string database_url;   // the engine's database; empty for all but storage plugins
};

// Base of every plugin object. The host owns the object (through the
// unique_ptr returned by the factory) and destroys it before exit; the
// library itself stays loaded.
class Plugin {
 public:
  virtual ~Plugin() = default;
  // The interface for the plugin's kind; the other ones return nullptr.
  virtual Provider* AsProvider() { return nullptr; }
  virtual Storage* AsStorage() { return nullptr; }
};

using PluginFactory = Result<std::unique_ptr<Plugin>> (*)(const PluginContext& context);

}  // namespace tether

extern "C" {
// Signature of the exported symbols. On failure tether_plugin_create returns
// nullptr and fills *error; the host owns the returned object.
using TetherDescriptorFn = const TetherPluginDescriptor* ();
using TetherCreateFn = tether::Plugin* (const tether::PluginContext* context, tether::Status* error);
}

// Exports a plugin. Put it once in one source file of the plugin:
//   TETHER_PLUGIN(TETHER_PLUGIN_PROVIDER, "my-provider", "0.1.0",
//                 "What it does", CreateMyProvider)
// where CreateMyProvider is a tether::PluginFactory.
#define TETHER_PLUGIN(kind_, name_, version_, description_, factory_)                 \
  extern "C" TETHER_EXPORT const TetherPluginDescriptor* tether_plugin_descriptor() { \
    static const TetherPluginDescriptor descriptor = {                               \
        sizeof(TetherPluginDescriptor), TETHER_SDK_ABI_MAJOR, TETHER_SDK_ABI_MINOR,  \
        TETHER_TOOLCHAIN_TAG, (kind_), (name_), (version_), (description_)};         \
    return &descriptor;                                                              \
  }                                                                                  \
  extern "C" TETHER_EXPORT tether::Plugin* tether_plugin_create(                     \
      const tether::PluginContext* context, tether::Status* error) {                 \
    try {                                                                            \
      tether::PluginFactory factory = (factory_);                                    \
      tether::Result<std::unique_ptr<tether::Plugin>> made = factory(*context);      \
      if (!made.ok()) {                                                              \
        *error = made.status();                                                      \
        return nullptr;                                                              \
      }                                                                              \
      return std::move(made).value().release();                                     \
    } catch (const std::exception& e) {                                              \
      *error = tether::Status::Internal(std::string("plugin threw: ") + e.what());  \
    } catch (...) {                                                                  \
      *error = tether::Status::Internal("plugin threw a non-standard exception");     \
    }                                                                                \
    return nullptr;                                                                  \
  }

#endif  // TETHER_PLUGIN_H_

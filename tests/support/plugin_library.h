// A built plugin library loaded the way the engine loads it (RTLD_NOW,
// RTLD_LOCAL, never unloaded), for tests that drive one plugin directly.
//
// Errors: the constructor and Symbol throw std::runtime_error (with the
// loader's message), which Catch2 reports as a failure of the test case.
#ifndef TETHER_TESTS_SUPPORT_PLUGIN_LIBRARY_H_
#define TETHER_TESTS_SUPPORT_PLUGIN_LIBRARY_H_

#include <dlfcn.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "tether/plugin.h"

namespace tether::testing {

class PluginLibrary {
 public:
  // Loads `path`; `name` is the plugin name handed to its factory.
  PluginLibrary(const std::string& path, std::string name) : name_(std::move(name)) {
    handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr) throw std::runtime_error(std::string("dlopen failed: ") + dlerror());
  }

  template <typename Fn>
  Fn* Symbol(const char* symbol) const {
    void* found = dlsym(handle_, symbol);
    if (found == nullptr) throw std::runtime_error(std::string("missing symbol ") + symbol);
    return reinterpret_cast<Fn*>(found);
  }

  const TetherPluginDescriptor* Descriptor() const {
    return Symbol<TetherDescriptorFn>("tether_plugin_descriptor")();
  }

  // A plugin object made with `settings` (and, for a storage, the database
  // at `database_url`); nullptr with *error filled when the factory refuses.
  std::unique_ptr<Plugin> Create(const std::string& settings, Status* error,
                                 const std::string& database_url = "") const {
    PluginContext context;
    context.name = name_;
    context.settings_json = settings;
    context.database_url = database_url;
    return std::unique_ptr<Plugin>(Symbol<TetherCreateFn>("tether_plugin_create")(&context, error));
  }

 private:
  std::string name_;
  void* handle_ = nullptr;  // never closed: plugins are never unloaded
};

}  // namespace tether::testing

#endif  // TETHER_TESTS_SUPPORT_PLUGIN_LIBRARY_H_

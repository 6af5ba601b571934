// The plugin templates of samples/ (samples/plugin-template, a provider;
// samples/analyzer-template, an analyzer), embedded in the binary when it
// is built (plugin_templates.cmake), for `tether plugins new`. Pure data;
// safe from any thread.
#ifndef TETHER_ENGINE_CLI_PLUGIN_TEMPLATES_H_
#define TETHER_ENGINE_CLI_PLUGIN_TEMPLATES_H_

#include <string_view>
#include <vector>

namespace tether::cli {

struct TemplateFile {
  std::string_view path;  // relative to the template's folder
  std::string_view text;
  bool executable = false;
};

struct PluginTemplate {
  std::string_view kind;        // "provider", "analyzer"
  std::string_view name;        // the plugin name it is written with: "folder-snapshot"
  std::vector<TemplateFile> files;
};

// Every template, in a stable order.
const std::vector<PluginTemplate>& PluginTemplates();

}  // namespace tether::cli

#endif  // TETHER_ENGINE_CLI_PLUGIN_TEMPLATES_H_

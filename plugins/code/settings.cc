#include "settings.h"

#include <rapidjson/document.h>

#include "shared/plugin_settings.h"

namespace tether {
namespace code {

Result<CodeSettings> ParseSettings(const std::string& plugin_name, const std::string& json) {
  const std::string prefix = "settings of plugin '" + plugin_name + "' (code): ";
  rapidjson::Document document;
  TETHER_RETURN_IF_ERROR(ParsePluginSettings(prefix, json, &document));
  CodeSettings settings;
  for (auto member = document.MemberBegin(); member != document.MemberEnd(); ++member) {
    const std::string key(member->name.GetString(), member->name.GetStringLength());
    return Status::InvalidArgument(prefix + "unknown key \"" + key + "\" (the code analyzer has no settings yet: use {})");
  }
  return settings;
}

std::string SettingsHash(const CodeSettings&) { return ""; }

}  // namespace code
}  // namespace tether

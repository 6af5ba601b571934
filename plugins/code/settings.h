// The code analyzer's settings, from the "settings" object of its entry in
// the config. There are none yet: "{}" (or nothing) is the only valid
// value, and an unknown key is refused by name, so that a misspelt setting
// never passes silently. A setting added later enters SettingsHash.
//
// Thread safety: pure functions.
#ifndef TETHER_PLUGINS_CODE_SETTINGS_H_
#define TETHER_PLUGINS_CODE_SETTINGS_H_

#include <string>

#include "tether/status.h"

namespace tether {
namespace code {

struct CodeSettings {};

// Parses `json` ("", "null" and "{}" mean no settings). InvalidArgument
// naming the plugin `plugin_name` and the key at fault otherwise.
Result<CodeSettings> ParseSettings(const std::string& plugin_name, const std::string& json);

// The AnalyzerKey's settings_hash for `settings`: "" while no setting
// shapes the output.
std::string SettingsHash(const CodeSettings& settings);

}  // namespace code
}  // namespace tether

#endif  // TETHER_PLUGINS_CODE_SETTINGS_H_

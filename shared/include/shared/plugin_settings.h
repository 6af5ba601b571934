// Reading a plugin's "settings" text from the config, the same way in every
// bundled plugin: "", "null" and "{}" are no settings; anything else must be
// a JSON object of bounded depth. A plugin then refuses each key it does
// not know, by name, so that a misspelt setting never passes silently.
//
// Thread safety: a pure function.
#ifndef TETHER_SHARED_PLUGIN_SETTINGS_H_
#define TETHER_SHARED_PLUGIN_SETTINGS_H_

#include <string>

#include <rapidjson/document.h>

#include "tether/status.h"

namespace tether {

// Parses `json` into `out` (an object; empty for no settings).
// InvalidArgument starting with `context` ("settings of plugin 'docs'
// (docs): ") and saying what is wrong and at which offset.
Status ParsePluginSettings(const std::string& context, const std::string& json, rapidjson::Document* out);

}  // namespace tether

#endif  // TETHER_SHARED_PLUGIN_SETTINGS_H_
